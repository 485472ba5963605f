-- Incremental current_entities: only the entities this run touched are looked at, so the
-- cost follows the hour's volume, not the length of history.
-- Order of operations is (time, id): an older event that arrives late never wins.
CREATE TEMP TABLE stage_latest AS
SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year
FROM (
    SELECT s.*, ROW_NUMBER() OVER (PARTITION BY entity_id ORDER BY time DESC, id DESC) AS rn
    FROM stage_entity_operations s
) ranked
WHERE rn = 1;

-- Drop candidates that are not newer than what is already known for the entity.
DELETE FROM stage_latest
USING epilot_datalake.entity_latest_operation known
WHERE known.entity_id = stage_latest.entity_id
  AND (stage_latest.time < known.time OR (stage_latest.time = known.time AND stage_latest.id < known.id));

DELETE FROM epilot_datalake.entity_latest_operation
USING stage_latest
WHERE epilot_datalake.entity_latest_operation.entity_id = stage_latest.entity_id;

INSERT INTO epilot_datalake.entity_latest_operation (entity_id, time, id, operation)
SELECT entity_id, time, id, operation FROM stage_latest;

DELETE FROM epilot_datalake.current_entities
USING stage_latest
WHERE epilot_datalake.current_entities.entity_id = stage_latest.entity_id;

INSERT INTO epilot_datalake.current_entities
    (id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year)
SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year
FROM stage_latest
WHERE operation <> 'deleteEntity';

DROP TABLE stage_latest;
