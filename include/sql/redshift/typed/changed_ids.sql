DROP TABLE IF EXISTS typed_ids;
CREATE TEMP TABLE typed_ids AS
SELECT entity_id, entity_schema FROM datalake_ops.typed_pending WHERE account = %(org)s;
