"""
### entity_operations_hourly

Every hour, the entity-operation events that arrived in the landing zone during the run's data
interval become rows of `epilot_datalake.entity_operations` and `current_entities`, and curated
Parquet in the lake: **plan_batches** → **process_batch** (mapped: extract, validate,
quarantine, stage) → **assess_hour** (the quarantine gate) → **load_warehouse** (one
transaction). Manual runs may reprocess a window (params `start`, `end`, `steps`).
More: docs/dags.md.
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import CronDataIntervalTimetable, dag

from datalake.alerts import FailureNotifier
from datalake.assets import ENTITY_LOAD_INLETS, ENTITY_LOAD_OUTLETS, ENTITY_OPERATIONS  # noqa: F401
from datalake.dag_defaults import DEFAULT_ARGS
from datalake.dag_params import reprocess_params
from datalake.entity.stream import ENTITY_STREAM
from datalake.operators import (
    AssessWindowOperator,
    CheckFreshnessOperator,
    MergeStagedParquetOperator,
    PlanLandingWindowOperator,
    ValidateLandingWindowOperator,
)


@dag(
    dag_id="entity_operations_hourly",
    schedule=CronDataIntervalTimetable(
        "0 * * * *", timezone="UTC"
    ),  # each arrival hour, once it closed
    start_date=datetime(2026, 11, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    params=reprocess_params(),  # a manual run may name a window of hours to reprocess
    on_failure_callback=FailureNotifier(),  # one email per failed run when alerts are configured
    tags=["datalake", "entity_operations", "hourly"],
    doc_md=__doc__,
)
def entity_operations_hourly():
    CheckFreshnessOperator(task_id="check_freshness")
    batches = PlanLandingWindowOperator(task_id="plan_batches", stream=ENTITY_STREAM)
    counts = ValidateLandingWindowOperator.partial(
        task_id="process_batch",
        stream=ENTITY_STREAM,
        max_active_tis_per_dagrun=4,
    ).expand(batch=batches.output)
    gate = AssessWindowOperator(
        task_id="assess_hour", stream=ENTITY_STREAM, batch_counts=counts.output
    )
    load = MergeStagedParquetOperator(
        task_id="load_warehouse",
        stream=ENTITY_STREAM,
        batch_counts=counts.output,
        max_active_tis_per_dag=1,
        inlets=ENTITY_LOAD_INLETS,
        outlets=ENTITY_LOAD_OUTLETS,
    )
    gate >> load


entity_operations_hourly()
