-- The Data lake page: manifests of the hourly pipelines' runs whose arrival hour starts at or
-- after %(since)s (read-only; one row per pipeline and hour).
SELECT pipeline, run_key, window_start, window_end, manifest, loaded_at
FROM datalake_ops.run_manifest
WHERE pipeline IN ('entity_operations_hourly', 'workflow_executions_hourly')
  AND window_start >= %(since)s
ORDER BY pipeline, window_start
