-- Delete-and-insert by id, in the run's transaction: reruns and backfills never duplicate,
-- a failure before COMMIT leaves the tables as they were. Same SQL on Redshift and locally.
-- stage_keys: the deduped stage's keys, narrow. In PostgreSQL, which stores whole rows, every
-- scan of the stage reads every `detail`; the deletes, the ownership insert, the ranking of
-- current_entities.sql and mark_stale_snapshots.sql (which drops it) read stage_keys instead.
CREATE TEMP TABLE stage_keys AS
SELECT id, entity_id, time, operation, year, month FROM stage_entity_operations;

DELETE FROM epilot_datalake.entity_operations
USING stage_keys s
WHERE epilot_datalake.entity_operations.id = s.id;

INSERT INTO epilot_datalake.entity_operations
    (id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year)
SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year
FROM stage_entity_operations;

DELETE FROM datalake_ops.entity_event_owner
USING stage_keys s
WHERE datalake_ops.entity_event_owner.id = s.id;

INSERT INTO datalake_ops.entity_event_owner (id, run_key)
SELECT id, %(run_key)s FROM stage_keys;
