-- What only a superuser can do for tenant isolation. Run in the warehouse database by
-- plugins/datalake/local/postgres.py (bootstrap, as the local superuser) with admin = the
-- pipeline's role (datalake_admin). On a PostgreSQL where `datalake init` is not superuser, a
-- superuser runs this file once (rendered with the pipeline's role); `datalake init` reports
-- what is missing (hardening_check.sql). Idempotent. Privileges on pg_catalog functions and
-- views are per database: this covers the warehouse database, the only one tenants may enter.

-- 1. Advisory locks are nobody's but the pipeline's. The pipeline locks rows of
--    datalake_ops.pipeline_locks now; a tenant holding an advisory lock could still stall any
--    tool that uses one, and gains nothing legitimate from them.
-- 2. Large objects: a tenant could store data in the read-only warehouse with lo_from_bytea
--    even after SET default_transaction_read_only = off. Creating or writing one is revoked.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace
          AND (p.proname LIKE 'pg\_%advisory\_%'
               OR p.proname IN ('lo_creat', 'lo_create', 'lo_from_bytea', 'lo_import', 'lo_put', 'lowrite',
                                'lo_truncate', 'lo_truncate64', 'lo_open'))
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname LIKE 'pg\_%advisory\_%'
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO {{ admin }}', f);
    END LOOP;
END
$$;

-- 3. The pipeline's role may end any non-superuser backend: a tenant query that holds a lock a
--    load waits for, or runs past the limit (datalake.tenant_watchdog), is ended by it.
--    pg_read_all_stats lets it see how long a tenant query has run (pg_stat_activity).
GRANT pg_signal_backend TO {{ admin }};
GRANT pg_read_all_stats TO {{ admin }};

-- 4. Limits a tenant cannot lift: temp_file_limit is superuser-only to SET; the pipeline's role
--    may put it on the tenant roles it creates (ALTER ROLE dl_... SET temp_file_limit).
GRANT SET ON PARAMETER temp_file_limit TO {{ admin }};

-- 5. Per-table activity statistics (live/dead tuples, scans, inserts per table and index) are
--    readable by every login and count all organisations' rows. Revoked from PUBLIC; pg_stats
--    already hides tables with row-level security from non-owners. pg_class.reltuples (a
--    table's total row estimate) stays readable: clients need pg_class (see docs/credentials.md).
DO $$
DECLARE
    v record;
BEGIN
    FOR v IN
        SELECT c.relname FROM pg_catalog.pg_class c
        WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'v'
          AND (c.relname LIKE 'pg\_stat\_%tables' OR c.relname LIKE 'pg\_stat\_%indexes'
               OR c.relname LIKE 'pg\_statio\_%' OR c.relname = 'pg_stat_database')
    LOOP
        EXECUTE format('REVOKE SELECT ON pg_catalog.%I FROM PUBLIC', v.relname);
        EXECUTE format('GRANT SELECT ON pg_catalog.%I TO {{ admin }}', v.relname);
    END LOOP;
    FOR v IN
        SELECT p.oid::regprocedure AS f FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace
          AND p.proname LIKE 'pg\_stat\_get\_%' AND p.pronargs = 1 AND p.proargtypes[0] = 'oid'::regtype
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', v.f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO {{ admin }}', v.f);
    END LOOP;
END
$$;
