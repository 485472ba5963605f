-- The Data lake page: the organisations whose typed tables were built.
SELECT org_id, schema_name, built_at FROM datalake_ops.typed_schemas WHERE built_at IS NOT NULL ORDER BY org_id
