-- On Redshift every writer of entity_operations (hourly load, monthly snapshot) takes this
-- lock in its transaction. LOCK is always exclusive on Redshift, so it is taken on a private
-- table nobody reads (datalake_ops, where tenants have no access) and not on
-- entity_operations itself, which would block every reader until the load commits.
-- PostgreSQL uses the pipeline lock row (datalake.locks).
LOCK datalake_ops.pipeline_lock_entity_operations;
