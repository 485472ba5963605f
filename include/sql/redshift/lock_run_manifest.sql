-- On Redshift every writer of datalake_ops.run_manifest (both hourly loads, the monthly
-- snapshot) locks this private table first in its transaction (datalake.locks): two writers of
-- run_manifest in concurrent serializable transactions would abort one of them. Locking
-- run_manifest itself would block its readers too; nobody reads this table.
LOCK datalake_ops.pipeline_lock_run_manifest;
