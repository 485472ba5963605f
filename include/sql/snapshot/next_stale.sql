-- The earliest month marked for refresh (before a given month, when one is given).
SELECT month_key, reason
FROM datalake_ops.snapshot_refresh_needed
{% if before %}WHERE month_key < %(before)s
{% endif %}ORDER BY month_key
LIMIT 1;
