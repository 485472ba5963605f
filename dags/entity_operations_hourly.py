"""
### entity_operations_hourly

Every hour, the entity-operation events that **arrived** in the landing zone during the
run's data interval (`s3://<landing>/entity_operations/YYYY/MM/DD/HH/`) become rows of
`epilot_datalake.entity_operations` and `current_entities`, and curated Parquet under
`s3://<lake>/entity_operations/year=…/month=…/`.

1. **plan_batches** lists the hour's objects and groups them into bounded batches.
2. **process_batch** (one mapped task per batch): split records (gzip/plain, NDJSON or
   concatenated JSON), normalise to the 13 columns, drop duplicate ids, validate with the
   Great Expectations suite in `plugins/datalake/validation/entity_suite.py`; rejects go to
   `s3://<lake>/quarantine/entity_operations/<hour>/` with their reason.
3. **assess_hour** fails the run when the hour looks wrong as a whole (objects but no
   records, or a quarantine share above `datalake_quarantine_threshold`, default 5%).
4. **load_warehouse** (pool `warehouse_entity_operations`): one transaction: stage,
   dedupe within the run and against other hours, delete-and-insert by id, update
   `current_entities`, write curated Parquet and the run manifest, commit.

Reruns and backfills are idempotent: files are named after the hour and rows replaced by id.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import Asset, CronDataIntervalTimetable, dag, task

ENTITY_OPERATIONS = Asset(name="entity_operations", uri="datalake://warehouse/epilot_datalake/entity_operations")


def _settings_and_client():
    from datalake.config import load_settings
    from datalake.s3 import s3_client

    settings = load_settings(use_airflow=True)
    return settings, s3_client(settings)


@dag(
    dag_id="entity_operations_hourly",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2026, 11, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=4,
    doc_md=__doc__,
    tags=["datalake", "entity_operations", "hourly"],
    default_args={
        "owner": "data-engineering",
        "retries": 3,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=20),
        "execution_timeout": timedelta(minutes=45),
    },
)
def entity_operations_hourly():
    @task
    def plan_batches(data_interval_start=None, data_interval_end=None) -> list[dict]:
        from datalake.pipeline import entity_tasks

        settings, client = _settings_and_client()
        return entity_tasks.plan(client, settings, data_interval_start, data_interval_end)

    @task(max_active_tis_per_dagrun=4)
    def process_batch(batch: dict, data_interval_start=None, data_interval_end=None) -> dict:
        from datalake.pipeline import entity_tasks

        settings, client = _settings_and_client()
        return entity_tasks.process(client, settings, batch, data_interval_start, data_interval_end)

    @task
    def assess_hour(batch_counts) -> dict:
        from datalake.pipeline import entity_tasks

        return entity_tasks.assess(list(batch_counts))

    @task(pool="warehouse_entity_operations", outlets=[ENTITY_OPERATIONS])
    def load_warehouse(batch_counts, assessment: dict, data_interval_start=None, data_interval_end=None) -> dict:
        from datalake.pipeline import entity_tasks

        settings, client = _settings_and_client()
        return entity_tasks.load(client, settings, list(batch_counts), data_interval_start, data_interval_end)

    counts = process_batch.expand(batch=plan_batches())
    load_warehouse(counts, assess_hour(counts))


entity_operations_hourly()
