-- Redshift twin of include/sql/typed/mark_all_runs_seen.sql (no ON CONFLICT).
DELETE FROM datalake_ops.typed_seen_runs;
INSERT INTO datalake_ops.typed_seen_runs (run_key, loaded_at)
SELECT run_key, loaded_at FROM datalake_ops.run_manifest WHERE pipeline = 'entity_operations_hourly';
