-- The user `datalake query` logs in as on Redshift, as datalake_reader locally
-- (warehouse/query_reader.sql): it reads every row of the warehouse and writes nothing, by
-- privileges. Its password (an md5 hash, derived from the admin's password by
-- datalake/query_reader.py) is set again by every `datalake init`. Idempotent; the user
-- itself is created by warehouse_init.py when missing.
ALTER USER datalake_reader PASSWORD '{{ password_md5 }}';
GRANT USAGE ON SCHEMA epilot_datalake TO datalake_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA epilot_datalake TO datalake_reader;
-- datalake_ops as locally: the manifests, owners and registry (never a password), not the
-- writers' lock tables.
GRANT USAGE ON SCHEMA datalake_ops TO datalake_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA datalake_ops TO datalake_reader;
REVOKE ALL ON datalake_ops.pipeline_lock_entity_operations, datalake_ops.pipeline_lock_workflow_tables
    FROM datalake_reader;
-- Row-level security filters every user no policy exempts: the reader sees all rows.
GRANT IGNORE RLS TO datalake_reader;
