-- The hourly runs loaded since the typed tables last took them (new runs, and runs loaded again
-- by a rerun or backfill: a newer loaded_at), marked taken; their keys are returned for
-- queue_runs.sql, in the same transaction.
INSERT INTO datalake_ops.typed_seen_runs (run_key, loaded_at)
SELECT m.run_key, m.loaded_at
FROM datalake_ops.run_manifest m
LEFT JOIN datalake_ops.typed_seen_runs s ON s.run_key = m.run_key AND s.loaded_at = m.loaded_at
WHERE m.pipeline = 'entity_operations_hourly' AND s.run_key IS NULL
ON CONFLICT (run_key) DO UPDATE SET loaded_at = EXCLUDED.loaded_at
RETURNING run_key
