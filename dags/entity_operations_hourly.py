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
4. **load_warehouse** (one at a time across runs; other DAGs' writers of these tables wait
   for the warehouse lock): one transaction: stage,
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

from airflow.sdk import dag

from datalake.assets import ENTITY_LOAD_INLETS, ENTITY_LOAD_OUTLETS, ENTITY_OPERATIONS  # noqa: F401
from datalake.entity.stream import ENTITY_STREAM
from datalake.hourly_dag import hourly_dag_kwargs
from datalake.operators import (
    AssessWindowOperator,
    CheckFreshnessOperator,
    MergeStagedParquetOperator,
    PlanLandingWindowOperator,
    ValidateLandingWindowOperator,
)

# ENTITY_OPERATIONS stays importable from here; datalake.assets is where it is declared.


@dag(dag_id="entity_operations_hourly", max_active_runs=4, doc_md=__doc__, tags=["datalake", "entity_operations", "hourly"], **hourly_dag_kwargs())
def entity_operations_hourly():
    CheckFreshnessOperator(task_id="check_freshness")
    batches = PlanLandingWindowOperator(task_id="plan_batches", stream=ENTITY_STREAM)
    counts = ValidateLandingWindowOperator.partial(
        task_id="process_batch", stream=ENTITY_STREAM, max_active_tis_per_dagrun=4,
    ).expand(batch=batches.output)
    gate = AssessWindowOperator(task_id="assess_hour", stream=ENTITY_STREAM, batch_counts=counts.output)
    load = MergeStagedParquetOperator(
        task_id="load_warehouse", stream=ENTITY_STREAM, batch_counts=counts.output,
        max_active_tis_per_dag=1, inlets=ENTITY_LOAD_INLETS, outlets=ENTITY_LOAD_OUTLETS,
    )
    gate >> load


entity_operations_hourly()
