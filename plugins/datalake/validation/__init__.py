"""Data-quality checks (Great Expectations): the runner the streams' suites share and the Data
Docs. The suites live beside their streams (datalake.entity.suite, datalake.workflow.suite)."""
