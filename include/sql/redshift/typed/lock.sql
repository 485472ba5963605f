-- Serialises the typed tables' refreshes (datalake.locks): a private table nobody reads, locked
-- first in each of the refresh's transactions and held to COMMIT (Redshift has no row locks).
LOCK datalake_ops.pipeline_lock_typed_tables;
