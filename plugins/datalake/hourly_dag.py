"""What the DAGs share: default task arguments, and the schedule, window params and failure
mail of the hourly DAGs (entity operations, workflow executions). Light: imported while DAG
files parse. Each hourly DAG file names its tasks itself (datalake.operators over its stream).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from datalake.alerts import FailureNotifier, on_task_failure
from datalake.dag_params import reprocess_params

DEFAULT_ARGS = {
    "owner": "data-engineering",
    "retries": 3,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=20),
    # A stuck task (hung connection, lock wait) fails instead of blocking the hour forever.
    "execution_timeout": timedelta(minutes=45),
    "on_failure_callback": on_task_failure,
}


def hourly_dag_kwargs() -> dict:
    """@dag arguments of an hourly DAG: every arrival hour once its hour closed, manual
    reprocess windows by params, one email per failed run when alerts are configured."""
    from airflow.sdk import CronDataIntervalTimetable

    return {
        "schedule": CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
        "start_date": datetime(2026, 11, 1, tzinfo=timezone.utc),
        "catchup": False,
        "default_args": DEFAULT_ARGS,
        "params": reprocess_params(),
        "on_failure_callback": FailureNotifier(),
    }
