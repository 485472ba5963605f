"""
### workflow_executions_hourly

Every hour, the workflow-execution events that arrived in the landing zone during the run's data
interval refresh the five workflow tables (`WorkflowExecution`, `WorkflowPhases`,
`WorkflowTasks`, `WorkflowCancellations`, `WorkflowContexts`) and their Parquet snapshot in the
lake: **plan_batches** → **process_batch** (mapped: extract, flatten, validate, quarantine,
stage) → **assess_hour** (the quarantine gate) → **load_warehouse** (one transaction; the
newest `lastUpdateTime` wins). Manual runs may reprocess a window (params `start`, `end`,
`steps`). More: docs/dags.md.
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import CronDataIntervalTimetable, dag

from datalake.alerts import FailureNotifier
from datalake.assets import WORKFLOW_LOAD_INLETS, WORKFLOW_LOAD_OUTLETS
from datalake.dag_defaults import DEFAULT_ARGS
from datalake.dag_params import reprocess_params
from datalake.operators import (
    AssessWindowOperator,
    CheckFreshnessOperator,
    MergeStagedParquetOperator,
    PlanLandingWindowOperator,
    ValidateLandingWindowOperator,
)
from datalake.workflow.stream import WORKFLOW_STREAM


@dag(
    dag_id="workflow_executions_hourly",
    schedule=CronDataIntervalTimetable(
        "0 * * * *", timezone="UTC"
    ),  # each arrival hour, once it closed
    start_date=datetime(2026, 11, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    params=reprocess_params(),  # a manual run may name a window of hours to reprocess
    on_failure_callback=FailureNotifier(),  # one email per failed run when alerts are configured
    tags=["datalake", "workflow_executions", "hourly"],
    doc_md=__doc__,
)
def workflow_executions_hourly():
    CheckFreshnessOperator(task_id="check_freshness")
    batches = PlanLandingWindowOperator(task_id="plan_batches", stream=WORKFLOW_STREAM)
    counts = ValidateLandingWindowOperator.partial(
        task_id="process_batch",
        stream=WORKFLOW_STREAM,
        max_active_tis_per_dagrun=4,
    ).expand(batch=batches.output)
    gate = AssessWindowOperator(
        task_id="assess_hour", stream=WORKFLOW_STREAM, batch_counts=counts.output
    )
    load = MergeStagedParquetOperator(
        task_id="load_warehouse",
        stream=WORKFLOW_STREAM,
        batch_counts=counts.output,
        max_active_tis_per_dag=1,
        inlets=WORKFLOW_LOAD_INLETS,
        outlets=WORKFLOW_LOAD_OUTLETS,
    )
    gate >> load


workflow_executions_hourly()
