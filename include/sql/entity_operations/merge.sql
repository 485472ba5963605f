-- Delete-and-insert by id, in the run's transaction: reruns and backfills never duplicate,
-- a failure before COMMIT leaves the tables as they were. Same SQL on Redshift and locally.
DELETE FROM epilot_datalake.entity_operations
USING stage_entity_operations s
WHERE epilot_datalake.entity_operations.id = s.id;

INSERT INTO epilot_datalake.entity_operations
    (id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year)
SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year
FROM stage_entity_operations;

DELETE FROM datalake_ops.entity_event_owner
USING stage_entity_operations s
WHERE datalake_ops.entity_event_owner.id = s.id;

INSERT INTO datalake_ops.entity_event_owner (id, run_key)
SELECT id, %(run_key)s FROM stage_entity_operations;
