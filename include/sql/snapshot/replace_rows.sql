-- Idempotent: month M's snapshot rows are replaced as a whole (same transaction as the build,
-- under the entity_operations lock). EntityOperation rows of the partition are untouched.
DELETE FROM epilot_datalake.entity_operations
WHERE year = %(year)s AND month = %(month)s AND "detail-type" = 'SnapshotOperation';

INSERT INTO epilot_datalake.entity_operations
    (id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year)
SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year
FROM snapshot_rows;
