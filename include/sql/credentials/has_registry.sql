-- Does the credential registry exist (`datalake init`)? The catalog tables PostgreSQL and
-- Redshift share (Redshift has no to_regclass).
SELECT COUNT(*) > 0
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'datalake_ops' AND c.relname = 'credentials';
