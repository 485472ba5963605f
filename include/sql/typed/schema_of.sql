-- The schema of one organisation's typed tables, created with a random name on first use.
INSERT INTO datalake_ops.typed_schemas (org_id, schema_name)
VALUES (%(org)s, %(candidate)s)
ON CONFLICT (org_id) DO NOTHING;
SELECT schema_name, built_at IS NOT NULL FROM datalake_ops.typed_schemas WHERE org_id = %(org)s;
