"""The workflow-executions stream of DAG workflow_executions_hourly (its steps: workflow/tasks.py)."""

from __future__ import annotations

from datalake.hourly.stream import HourlyStream


class WorkflowStream(HourlyStream):
    dag_id, stream = "workflow_executions_hourly", "workflow_executions"

    def task_functions(self):
        from datalake.workflow import tasks

        return tasks


WORKFLOW_STREAM = WorkflowStream()
