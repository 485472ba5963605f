-- The first refresh builds every organisation from current_entities: every run so far is taken.
INSERT INTO datalake_ops.typed_seen_runs (run_key, loaded_at)
SELECT run_key, loaded_at FROM datalake_ops.run_manifest WHERE pipeline = 'entity_operations_hourly'
ON CONFLICT (run_key) DO UPDATE SET loaded_at = EXCLUDED.loaded_at
