"""The workflow-executions stream (DAG workflow_executions_hourly): flatten events into the
five tables (flatten), validate with its suites (suite), stage a batch (batch), load the hour
(load), the lake versions of the tables (lake_snapshot), the DAG's task functions (tasks)."""
