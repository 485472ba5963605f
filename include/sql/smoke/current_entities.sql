-- The smoke entities alive after the hour. entity_ids: as in snapshot_rows.sql.
SELECT entity_id FROM epilot_datalake.current_entities WHERE entity_id IN {{ entity_ids }};
