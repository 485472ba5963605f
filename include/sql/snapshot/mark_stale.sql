-- Mark a snapshot month for refresh (once). The cast: psycopg sends both uses of month_key as
-- one parameter, which must get one type.
INSERT INTO datalake_ops.snapshot_refresh_needed (month_key, reason)
SELECT CAST(%(month_key)s AS VARCHAR(6)), CAST(%(reason)s AS VARCHAR(1024))
WHERE NOT EXISTS (SELECT 1 FROM datalake_ops.snapshot_refresh_needed WHERE month_key = %(month_key)s);
