"""The workflow-executions stream (DAG workflow_executions_hourly): flatten events into the
five tables (flatten), validate with its suites (suite), stage a batch (batch), load the hour
(load), the lake versions of the tables (lake_snapshot), the stream the DAG runs (stream)."""

DAG_ID = "workflow_executions_hourly"  # also the pipeline of its run manifests
STREAM = "workflow_executions"  # its landing prefix and its name in the lake
