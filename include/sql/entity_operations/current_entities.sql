-- Incremental current_entities: only the entities this run touched are looked at, so the
-- cost follows the hour's volume, not the length of history.
-- Order of operations is (time, id): an older event that arrives late never wins.
-- stage_latest is narrow (the ranking sorts keys, not whole rows). The whole rows are taken at
-- the end from the table the load passes as `rows`: locally entity_operations, joined by id (the
-- run's rows are in it by now; with a long history the planner may scan it rather than use the
-- key, which is open: bench/NOTES.md); on Redshift the stage (a lookup there scans history).
CREATE TEMP TABLE stage_latest AS
SELECT entity_id, time, id, operation
FROM (
    SELECT entity_id, time, id, operation,
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

DELETE FROM epilot_datalake.current_entities
USING stage_latest
WHERE epilot_datalake.current_entities.entity_id = stage_latest.entity_id;

INSERT INTO epilot_datalake.current_entities
    (id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year)
SELECT s.id, s."detail-type", s.operation, s.source, s.account, s.time, s.region, s.activity_id, s.entity_id,
       s.detail, s.schema, s.month, s.year
FROM {{ rows }} s
JOIN stage_latest latest ON latest.id = s.id
WHERE latest.operation <> 'deleteEntity';

DROP TABLE stage_latest;
