-- Incremental current_entities, first half (both warehouses): the run's winner per entity and
-- the rows it replaces. Only the entities this run touched are looked at, so the cost follows
-- the hour's volume, not the length of history.
-- Order of operations is (time, id): an older event that arrives late never wins.
-- stage_latest is narrow (the ranking sorts keys, not whole rows) and keeps the winners' _seq:
-- the whole rows are then written from the run's own rows, never looked up in history
-- (locally copied from the staged rows in the same pass as entity_operations; on Redshift
-- redshift/insert_current_entities.sql takes them from the stage).
CREATE TEMP TABLE stage_latest AS
SELECT entity_id, time, id, operation, _seq
FROM (
    SELECT entity_id, time, id, operation, _seq,
           ROW_NUMBER() OVER (PARTITION BY entity_id ORDER BY time DESC, id DESC) AS rn
    FROM stage_keys
) ranked
WHERE rn = 1;
ANALYZE stage_latest;

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

-- A winner that is a deleteEntity removes the entity; any other winner's row replaces it.
DELETE FROM epilot_datalake.current_entities
USING stage_latest
WHERE epilot_datalake.current_entities.entity_id = stage_latest.entity_id;
