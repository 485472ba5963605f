-- The month is (being) rebuilt: its refresh mark goes.
DELETE FROM datalake_ops.snapshot_refresh_needed WHERE month_key = %(month_key)s;
