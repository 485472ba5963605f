-- Remove the early snapshot of next month, in the caller's transaction (after cleanup.sql).
-- It holds every current entity, real ones included: all of the month's snapshot rows go.
DELETE FROM epilot_datalake.entity_operations
WHERE "detail-type" = 'SnapshotOperation' AND year = %(year)s AND month = %(month)s;

DELETE FROM datalake_ops.run_manifest WHERE pipeline = %(pipeline)s AND run_key = %(month_key)s;

DELETE FROM datalake_ops.snapshot_refresh_needed WHERE month_key = %(month_key)s;
