-- Snapshot months marked for refresh, ascending.
SELECT month_key FROM datalake_ops.snapshot_refresh_needed ORDER BY month_key;
