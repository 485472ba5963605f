-- Every organisation's typed schema and whether its first build is done (schema_of.sql, for
-- all of them at once).
SELECT org_id, schema_name, built_at IS NOT NULL FROM datalake_ops.typed_schemas
