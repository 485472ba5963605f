-- On Redshift every writer of entity_operations (hourly load, monthly snapshot) locks the
-- table in its transaction; PostgreSQL uses the pipeline lock row (datalake.locks).
LOCK epilot_datalake.entity_operations;
