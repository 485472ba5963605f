-- Rows that differ between the freshly built snapshot and the stored one (both directions).
-- Zero means the stored snapshot is still right: nothing to rewrite, nothing to propagate.
SELECT COUNT(*) FROM (
    (SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year
     FROM snapshot_rows
     EXCEPT
     SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year
     FROM epilot_datalake.entity_operations
     WHERE year = %(year)s AND month = %(month)s AND "detail-type" = 'SnapshotOperation')
    UNION ALL
    (SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year
     FROM epilot_datalake.entity_operations
     WHERE year = %(year)s AND month = %(month)s AND "detail-type" = 'SnapshotOperation'
     EXCEPT
     SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year
     FROM snapshot_rows)
) differences;
