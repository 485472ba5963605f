"""The workflow-executions stream, as DAG workflow_executions_hourly runs it."""

from __future__ import annotations

from datalake.hourly.gate import assess_hour
from datalake.hourly.stream import HourlyStream
from datalake.workflow import DAG_ID, STREAM
from datalake.workflow.batch import plan_workflow_hour, process_workflow_batch
from datalake.workflow.lake_snapshot import ROOT as LAKE_ROOT
from datalake.workflow.load import load_workflow_hour
from datalake.workflow.suite import validate_workflow_rows

WORKFLOW_STREAM = HourlyStream(
    dag_id=DAG_ID,
    name=STREAM,
    lake_prefix=LAKE_ROOT,  # versioned table snapshots; readers start at workflow/_current.json
    sql_folder="workflow",
    suite=validate_workflow_rows,
    plan=plan_workflow_hour,
    process=process_workflow_batch,
    gate=assess_hour,
    load=load_workflow_hour,
)
