"""The default task arguments every DAG passes as ``default_args`` (light: imported while DAG
files parse)."""

from __future__ import annotations

from datetime import timedelta

from datalake.alerts import on_task_failure

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
