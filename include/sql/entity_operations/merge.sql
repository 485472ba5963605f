-- Delete-and-insert by id, in the run's transaction: reruns and backfills never duplicate,
-- a failure before COMMIT leaves the tables as they were. Same SQL on Redshift and locally.
-- The deduped rows themselves are inserted after this file: locally by COPY of the surviving
-- staged rows, on Redshift from the stage (redshift/insert_entity_operations.sql).
-- The partition columns (an event's year and month follow from its id's event) let Redshift
-- skip the sort-key blocks of every other month instead of scanning all history by id.
DELETE FROM epilot_datalake.entity_operations
USING stage_keys s
WHERE epilot_datalake.entity_operations.year = s.year
  AND epilot_datalake.entity_operations.month = s.month
  AND epilot_datalake.entity_operations.id = s.id;

DELETE FROM datalake_ops.entity_event_owner
USING stage_keys s
WHERE datalake_ops.entity_event_owner.id = s.id;

-- In id order: the key's index pages are then filled one after the other, not at random.
-- The parameter is cast: an untyped text parameter in INSERT ... SELECT is not inferred by
-- every engine.
INSERT INTO datalake_ops.entity_event_owner (id, run_key)
SELECT id, CAST(%(run_key)s AS varchar(128)) FROM stage_keys ORDER BY id;
