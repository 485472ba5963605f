INSERT INTO datalake_ops.typed_schemas (org_id, schema_name)
SELECT %(org)s, %(candidate)s
WHERE NOT EXISTS (SELECT 1 FROM datalake_ops.typed_schemas WHERE org_id = %(org)s);
SELECT schema_name, built_at IS NOT NULL FROM datalake_ops.typed_schemas WHERE org_id = %(org)s;
