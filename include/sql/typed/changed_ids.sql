-- The organisation's queued entities (for an incremental refresh), in a temporary table.
DROP TABLE IF EXISTS typed_ids;
CREATE TEMP TABLE typed_ids ON COMMIT DROP AS
SELECT entity_id, entity_schema FROM datalake_ops.typed_pending WHERE account = %(org)s;
-- Statistics, so that the planner looks the queued entities up by key rather than scanning.
ANALYZE typed_ids;
