-- Record a run in the caller's transaction, replacing an earlier record of the same run
-- (hourly loads and monthly snapshots: datalake.hourly.manifest.record_run).
DELETE FROM datalake_ops.run_manifest WHERE pipeline = %(pipeline)s AND run_key = %(run_key)s;

INSERT INTO datalake_ops.run_manifest (pipeline, run_key, window_start, window_end, manifest)
VALUES (%(pipeline)s, %(run_key)s, %(window_start)s, %(window_end)s, %(manifest)s);
