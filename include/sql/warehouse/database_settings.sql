-- Session defaults of the warehouse database, set by `datalake init` itself so that any
-- PostgreSQL it is pointed at works for every login (the pipeline, tenant credentials, BI
-- tools connecting directly), not only one the local platform bootstrapped:
--   * search_path finds the tables and the redshift_compat functions (json_extract_path_text
--     with Redshift's null_if_invalid argument) without schema-qualifying them;
--   * sessions run in UTC like Redshift's (CURRENT_DATE in the docs' queries relies on it).
-- ALTER DATABASE needs the database's owner (or a superuser); it applies to new sessions.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET search_path = epilot_datalake, redshift_compat, public',
                   current_database());
    EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'UTC');
END
$$;
