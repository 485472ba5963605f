-- Snapshot rows of the smoke entities in the early snapshot of next month.
-- entity_ids: an IN list of quoted literals (Redshift has no arrays, so no = ANY(...)).
SELECT count(*)
FROM epilot_datalake.entity_operations
WHERE "detail-type" = 'SnapshotOperation'
  AND year = %(year)s AND month = %(month)s AND entity_id IN {{ entity_ids }};
