-- One stage's rows from the staged Parquet, as text COPY (datalake.workflow.load, local only).
COPY stage_workflow_{{ stage }} ({{ columns }}) FROM STDIN
