-- The Data lake page: one run's manifest (the hour clicked on the strip).
SELECT pipeline, run_key, window_start, window_end, manifest, loaded_at
FROM datalake_ops.run_manifest
WHERE pipeline = %(pipeline)s AND run_key = %(run_key)s
