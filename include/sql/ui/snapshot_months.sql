-- The Data lake page: the monthly snapshots that exist (their manifests) and the months whose
-- snapshot is marked stale by late data, pending a refresh.
SELECT m.run_key AS month_key, m.manifest, m.loaded_at, s.reason AS stale_reason
FROM datalake_ops.run_manifest m
LEFT JOIN datalake_ops.snapshot_refresh_needed s ON s.month_key = m.run_key
WHERE m.pipeline = 'entity_operations_monthly_snapshot'
UNION ALL
SELECT s.month_key, NULL, NULL, s.reason
FROM datalake_ops.snapshot_refresh_needed s
WHERE NOT EXISTS (SELECT 1 FROM datalake_ops.run_manifest m
                  WHERE m.pipeline = 'entity_operations_monthly_snapshot' AND m.run_key = s.month_key)
ORDER BY 1
