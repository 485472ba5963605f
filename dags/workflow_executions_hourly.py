"""
### workflow_executions_hourly

Every hour, the workflow-execution events that **arrived** in the landing zone during the
run's data interval (`s3://<landing>/workflow_executions/YYYY/MM/DD/HH/`) refresh the five
workflow tables `epilot_datalake.WorkflowExecution`, `WorkflowPhases`, `WorkflowTasks`,
`WorkflowCancellations` and `WorkflowContexts`, and their Parquet snapshots under
`s3://<lake>/workflow/` (readers start at `workflow/_current.json`).

1. **plan_batches** lists the hour's objects and groups them into bounded batches.
2. **process_batch** (one mapped task per batch): split records (gzip/plain, NDJSON or
   concatenated JSON), flatten each event (the full state of one execution) into rows of the
   five tables (`plugins/datalake/pipeline/workflow_flatten.py` documents the mapping), drop
   duplicate event ids, validate with the Great Expectations suites in
   `plugins/datalake/validation/workflow_suite.py`; a rejected event goes whole to
   `s3://<lake>/quarantine/workflow_executions/<hour>/` with its reason.
3. **assess_hour** fails the run when the hour looks wrong as a whole (objects but no
   records, or a quarantine share above `datalake_quarantine_threshold`, default 5%).
4. **load_warehouse** (pool `warehouse_workflow_tables`): one transaction: stage, dedupe
   within the run and against other hours, keep per execution the state with the newest
   `lastUpdateTime` unless a newer one is already loaded (late older updates never win, a
   delete leaves a tombstone), replace those executions in all five tables (removed phases
   and tasks disappear, a `WorkflowExecutionDeleted` removes everything), write the lake
   snapshot and switch its pointer, write the run manifest, commit.

Reruns and backfills are idempotent: events are owned by their arrival hour and states are
ordered by `lastUpdateTime`, so replaying an hour never moves an execution backwards.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import Asset, CronDataIntervalTimetable, dag, task

WORKFLOW_TABLES = Asset(name="workflow_tables", uri="datalake://warehouse/epilot_datalake/workflow_tables")


def _settings_and_client():
    from datalake.config import load_settings
    from datalake.s3 import s3_client

    settings = load_settings(use_airflow=True)
    return settings, s3_client(settings)


@dag(
    dag_id="workflow_executions_hourly",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2026, 11, 1, tzinfo=timezone.utc),
    catchup=False,
    # Loads are serialised by the pool anyway; more runs would only queue.
    max_active_runs=4,
    doc_md=__doc__,
    tags=["datalake", "workflow_executions", "hourly"],
    default_args={
        "owner": "data-engineering",
        "retries": 3,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=20),
        "execution_timeout": timedelta(minutes=45),
    },
)
def workflow_executions_hourly():
    @task
    def plan_batches(data_interval_start=None, data_interval_end=None) -> list[dict]:
        from datalake.pipeline import workflow_tasks

        settings, client = _settings_and_client()
        return workflow_tasks.plan(client, settings, data_interval_start, data_interval_end)

    @task(max_active_tis_per_dagrun=4)
    def process_batch(batch: dict, data_interval_start=None, data_interval_end=None) -> dict:
        from datalake.pipeline import workflow_tasks

        settings, client = _settings_and_client()
        return workflow_tasks.process(client, settings, batch, data_interval_start, data_interval_end)

    @task
    def assess_hour(batch_counts) -> dict:
        from datalake.pipeline import workflow_tasks

        return workflow_tasks.assess(list(batch_counts))

    @task(pool="warehouse_workflow_tables", outlets=[WORKFLOW_TABLES])
    def load_warehouse(batch_counts, assessment: dict, data_interval_start=None, data_interval_end=None) -> dict:
        from datalake.pipeline import workflow_tasks

        settings, client = _settings_and_client()
        return workflow_tasks.load(client, settings, list(batch_counts), data_interval_start, data_interval_end)

    counts = process_batch.expand(batch=plan_batches())
    load_warehouse(counts, assess_hour(counts))


workflow_executions_hourly()
