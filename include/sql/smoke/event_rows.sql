-- Event rows of the smoke entities the hourly load wrote. entity_ids: as in snapshot_rows.sql.
SELECT count(*)
FROM epilot_datalake.entity_operations
WHERE entity_id IN {{ entity_ids }} AND "detail-type" = 'EntityOperation';
