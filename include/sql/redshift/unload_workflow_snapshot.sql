-- Redshift: one workflow table's current state to a new, never-reused version prefix of the
-- lake (plugins/datalake/pipeline/workflow_snapshot.py switches the _current.json pointer to
-- it only after all five tables are unloaded).
UNLOAD ('SELECT {{ columns }} FROM epilot_datalake.{{ table }} ORDER BY {{ order_by }}')
TO '{{ prefix_uri }}part-'
IAM_ROLE '{{ iam_role }}'
FORMAT AS PARQUET
ENCRYPTED AUTO
ALLOWOVERWRITE;
