"""The shape shared by the hourly DAGs (entity operations, workflow executions):

plan_batches -> process_batch (mapped, one per bounded batch) -> assess_hour -> load_warehouse

Imported while DAG files parse, so it only imports airflow.sdk; the steps import their
tasks module (``datalake.pipeline.<stream>_tasks``) at run time.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from importlib import import_module

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


def _context_settings():
    from datalake.config import load_settings
    from datalake.s3 import s3_client

    settings = load_settings(use_airflow=True)
    return settings, s3_client(settings)


def build_hourly_dag(*, dag_id: str, tasks_module: str, pool: str, outlet, doc_md: str, tags: list[str],
                     max_active_runs: int = 4):
    from airflow.sdk import CronDataIntervalTimetable, dag, task

    def tasks():
        return import_module(tasks_module)

    @dag(
        dag_id=dag_id,
        schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
        start_date=datetime(2026, 11, 1, tzinfo=timezone.utc),
        catchup=False,
        max_active_runs=max_active_runs,
        doc_md=doc_md,
        tags=tags,
        default_args=DEFAULT_ARGS,
        params=reprocess_params(),
        # One email per failed run when alerts are configured (datalake.alerts).
        on_failure_callback=FailureNotifier(),
    )
    def hourly():
        @task
        def plan_batches(params=None, data_interval_start=None, data_interval_end=None) -> list[dict]:
            from airflow.sdk.exceptions import AirflowFailException

            from datalake.hourly import windows

            try:
                window = windows.resolve_window(params, data_interval_start, data_interval_end)
            except windows.WindowError as exc:
                raise AirflowFailException(f"rejected window: {exc}") from None  # a retry would not help
            settings, client = _context_settings()
            return windows.plan_window(tasks(), client, settings, window)

        @task(max_active_tis_per_dagrun=4)
        def process_batch(batch: dict) -> dict:
            from datalake.hourly import windows

            settings, client = _context_settings()
            return windows.process_batch(tasks(), client, settings, batch)

        @task
        def assess_hour(batch_counts) -> dict:
            from airflow.sdk.exceptions import AirflowFailException

            from datalake.hourly import windows

            try:
                return windows.assess_window(tasks(), list(batch_counts))
            except ValueError as exc:  # the gate's verdict on the same input: final at once
                raise AirflowFailException(f"quarantine gate: {exc}") from exc

        @task(pool=pool, outlets=[outlet])
        def load_warehouse(batch_counts, assessment: dict, params=None) -> list[dict]:
            from datalake.hourly import windows

            settings, client = _context_settings()
            steps = (params or {}).get("steps") or windows.STEPS
            return windows.load_window(tasks(), client, settings, list(batch_counts), steps)

        @task
        def check_freshness(dag_run=None) -> dict:
            """Alert when earlier arrival hours are still not loaded (datalake.freshness).
            Scheduled runs only: a manual reprocess of an old window says nothing about now."""
            if getattr(dag_run, "run_type", None) != "scheduled":  # DagRunType is a str enum
                return {"skipped": "not a scheduled run"}
            from airflow.sdk import get_current_context

            from datalake import freshness
            from datalake.warehouse import connect

            settings, _ = _context_settings()
            with connect(settings) as conn:
                return freshness.check_freshness(conn, dag_id, datetime.now(timezone.utc), get_current_context())

        check_freshness()
        counts = process_batch.expand(batch=plan_batches())
        load_warehouse(counts, assess_hour(counts))

    return hourly()
