-- Redshift twin of include/sql/typed/schema_of.sql (no ON CONFLICT; parameters in the select
-- list are cast).
INSERT INTO datalake_ops.typed_schemas (org_id, schema_name)
SELECT CAST(%(org)s AS VARCHAR(64)), CAST(%(candidate)s AS VARCHAR(63))
WHERE NOT EXISTS (SELECT 1 FROM datalake_ops.typed_schemas WHERE org_id = %(org)s);
SELECT schema_name, built_at IS NOT NULL FROM datalake_ops.typed_schemas WHERE org_id = %(org)s;
