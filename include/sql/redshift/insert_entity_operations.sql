-- Redshift: the deduped rows, from the stage. The stage keeps only the rows whose keys
-- survived the dedupe (stage_keys): unload_entity_operations.sql writes the lake from it.
DELETE FROM stage_entity_operations
WHERE NOT EXISTS (SELECT 1 FROM stage_keys k WHERE k._seq = stage_entity_operations._seq);

INSERT INTO epilot_datalake.entity_operations
    (id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year)
SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year
FROM stage_entity_operations;
