"""
### entity_operations_hourly

Every hour, the entity-operation events that **arrived** in the landing zone during the
run's data interval (`s3://<landing>/entity_operations/YYYY/MM/DD/HH/`) become rows of
`epilot_datalake.entity_operations` and `current_entities`, and curated Parquet under
`s3://<lake>/entity_operations/year=…/month=…/`.

1. **plan_batches** lists the hour's objects and groups them into bounded batches.
2. **process_batch** (one mapped task per batch): split records (gzip/plain, NDJSON or
   concatenated JSON), normalise to the 13 columns, drop duplicate ids, validate with the
   Great Expectations suite in `plugins/datalake/entity/suite.py`; rejects go to
   `s3://<lake>/quarantine/entity_operations/<hour>/` with their reason.
3. **assess_hour** fails the run when the hour looks wrong as a whole (objects but no
   records, or a quarantine share above `datalake_quarantine_threshold`, default 5%).
4. **load_warehouse** (pool `warehouse_entity_operations`): one transaction: stage,
   dedupe within the run and against other hours, delete-and-insert by id, update
   `current_entities`, write curated Parquet and the run manifest, commit.

Reruns and backfills are idempotent: files are named after the hour and rows replaced by id.

Manual runs can reprocess a window: params `start`/`end` (UTC, whole hours, at most
`DATALAKE_MAX_WINDOW_HOURS`, default 168) and `steps` (`validate` alone is a dry run that
only writes the quarantine report). Each hour of the window is loaded as its own run.
A failed task logs one `DATALAKE FAILURE dag=… run=… task=… window=… log=…` line; a failed
run sends one email and **check_freshness** (scheduled runs, beside the pipeline) mails when an
earlier arrival hour is still not loaded 45 min after it closed, once `datalake_alert_email`
is set (README "Alerts"). A failed quarantine gate fails the run at once, without retries.
"""

from __future__ import annotations

from airflow.sdk import Asset

from datalake.hourly_dag import build_hourly_dag

ENTITY_OPERATIONS = Asset(name="entity_operations", uri="datalake://warehouse/epilot_datalake/entity_operations")

build_hourly_dag(
    dag_id="entity_operations_hourly",
    tasks_module="datalake.entity.tasks",
    pool="warehouse_entity_operations",
    outlet=ENTITY_OPERATIONS,
    doc_md=__doc__,
    tags=["datalake", "entity_operations", "hourly"],
    max_active_runs=4,
)
