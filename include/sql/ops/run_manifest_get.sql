-- The manifest a run committed (datalake.hourly.manifest.load_previous_manifest).
SELECT manifest
FROM datalake_ops.run_manifest
WHERE pipeline = %(pipeline)s AND run_key = %(run_key)s;
