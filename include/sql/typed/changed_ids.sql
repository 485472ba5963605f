-- The organisation's queued entities (for an incremental refresh), in typed_ids
-- (stage_tables.sql: empty at the start of each organisation's transaction).
INSERT INTO typed_ids (entity_id, entity_schema)
SELECT entity_id, entity_schema FROM datalake_ops.typed_pending WHERE account = %(org)s
