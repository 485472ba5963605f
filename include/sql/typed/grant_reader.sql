-- The operator's `datalake query` login reads every organisation's typed tables, as it reads
-- every organisation's rows of the raw tables (its search path is left alone). Idempotent; the
-- same statements on Redshift.
GRANT USAGE ON SCHEMA {{ schema }} TO datalake_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA {{ schema }} TO datalake_reader;
