-- The pipeline's locks: one row per lock, taken with SELECT ... FOR UPDATE inside the
-- writer's transaction (plugins/datalake/locks.py). Advisory locks were replaced because any
-- login may take any advisory lock: a tenant credential holding hashtext('entity_operations')
-- stalled every organisation's loads. These rows live in datalake_ops, where tenants have no
-- USAGE and no privilege, so no tenant can lock them (a row lock needs UPDATE on the table).
-- Idempotent; run by `datalake init` in its own transaction before everything else.
CREATE SCHEMA IF NOT EXISTS datalake_ops;
CREATE TABLE IF NOT EXISTS datalake_ops.pipeline_locks (
    name varchar(64) NOT NULL PRIMARY KEY
);
INSERT INTO datalake_ops.pipeline_locks (name)
VALUES ('datalake-init'), ('entity_operations'), ('workflow_tables'), ('run_manifest'),
       ('typed_tables')
ON CONFLICT (name) DO NOTHING;
