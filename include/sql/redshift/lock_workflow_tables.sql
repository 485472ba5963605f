-- On Redshift the workflow load takes this lock in its transaction: a private table of
-- datalake_ops (LOCK is exclusive: on the five tables it would block their readers until the
-- load commits). PostgreSQL uses the pipeline lock row (datalake.locks).
LOCK datalake_ops.pipeline_lock_workflow_tables;
