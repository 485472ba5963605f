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
   five tables (`plugins/datalake/workflow/flatten.py` documents the mapping), drop
   duplicate event ids, validate with the Great Expectations suites in
   `plugins/datalake/workflow/suite.py`; a rejected event goes whole to
   `s3://<lake>/quarantine/workflow_executions/<hour>/` with its reason.
3. **assess_hour** fails the run when the hour looks wrong as a whole (objects but no
   records, or a quarantine share above `datalake_quarantine_threshold`, default 5%).
4. **load_warehouse** (one at a time across runs; the warehouse lock keeps other writers
   out): one transaction: stage, dedupe
   within the run and against other hours, keep per execution the state with the newest
   `lastUpdateTime` unless a newer one is already loaded (late older updates never win, a
   delete leaves a tombstone), replace those executions in all five tables (removed phases
   and tasks disappear, a `WorkflowExecutionDeleted` removes everything), write the lake
   snapshot and switch its pointer, write the run manifest, commit.

Reruns and backfills are idempotent: events are owned by their arrival hour and states are
ordered by `lastUpdateTime`, so replaying an hour never moves an execution backwards.

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

from datalake.assets import WORKFLOW_LOAD_INLETS, WORKFLOW_LOAD_OUTLETS

from datalake.workflow.stream import WORKFLOW_STREAM
from datalake.hourly_dag import hourly_dag_kwargs
from datalake.operators import (
    AssessWindowOperator,
    CheckFreshnessOperator,
    MergeStagedParquetOperator,
    PlanLandingWindowOperator,
    ValidateLandingWindowOperator,
)



@dag(dag_id="workflow_executions_hourly", max_active_runs=4, doc_md=__doc__, tags=["datalake", "workflow_executions", "hourly"], **hourly_dag_kwargs())
def workflow_executions_hourly():
    CheckFreshnessOperator(task_id="check_freshness")
    batches = PlanLandingWindowOperator(task_id="plan_batches", stream=WORKFLOW_STREAM)
    counts = ValidateLandingWindowOperator.partial(
        task_id="process_batch", stream=WORKFLOW_STREAM, max_active_tis_per_dagrun=4,
    ).expand(batch=batches.output)
    gate = AssessWindowOperator(task_id="assess_hour", stream=WORKFLOW_STREAM, batch_counts=counts.output)
    load = MergeStagedParquetOperator(
        task_id="load_warehouse", stream=WORKFLOW_STREAM, batch_counts=counts.output,
        max_active_tis_per_dag=1, inlets=WORKFLOW_LOAD_INLETS, outlets=WORKFLOW_LOAD_OUTLETS,
    )
    gate >> load


workflow_executions_hourly()
