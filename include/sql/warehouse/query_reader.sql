-- The role `datalake query` runs as on the local PostgreSQL: it reads every row of the
-- warehouse and writes nothing, by privileges. Before, the command ran as the admin in a
-- read-only transaction, which `COMMIT; CREATE TABLE ...` ended. Run by `datalake init` as the
-- admin after isolation.sql; the password is set by plugins/datalake/query.py (derived from the
-- admin's, so nothing new is stored). Rendered with the tenant-visible tables. Idempotent.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'datalake_reader') THEN
        CREATE ROLE datalake_reader LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
            CONNECTION LIMIT 10;
    END IF;
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;
ALTER ROLE datalake_reader SET default_transaction_read_only = on;
GRANT USAGE ON SCHEMA epilot_datalake, redshift_compat, datalake_ops TO datalake_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA epilot_datalake TO datalake_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA datalake_ops TO datalake_reader;
-- Not even a read of the issued verifiers or the pipeline's lock rows.
REVOKE ALL ON datalake_ops.credential_verifiers FROM datalake_reader;
REVOKE ALL ON datalake_ops.pipeline_locks FROM datalake_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA epilot_datalake GRANT SELECT ON TABLES TO datalake_reader;

-- Row-level security applies to every role but the tables' owner: the reader sees all rows.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[{% for table, _ in tenant_tables %}'{{ table }}'{{ ", " if not loop.last }}{% endfor %}]
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policies p
                       WHERE p.schemaname = 'epilot_datalake' AND p.tablename = t
                         AND p.policyname = 'datalake_reader_all') THEN
            EXECUTE format('CREATE POLICY datalake_reader_all ON epilot_datalake.%I AS PERMISSIVE FOR SELECT '
                           'TO datalake_reader USING (true)', t);
        END IF;
    END LOOP;
END
$$;
