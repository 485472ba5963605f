-- What superuser_hardening.sql would fix and is not in place in this database; run
-- by `datalake init` as the pipeline's role. No rows: all in place.
SELECT 'pg_advisory_* functions' AS item, 'executable by every login (a tenant can take advisory locks)' AS problem
WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname LIKE 'pg\_%advisory\_%'
                AND pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE'))
UNION ALL
SELECT 'large object functions', 'executable by every login (a tenant can store large objects)'
WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'pg_catalog'::regnamespace
                AND p.proname IN ('lo_creat', 'lo_create', 'lo_from_bytea')
                AND pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE'))
UNION ALL
SELECT 'pg_signal_backend', 'the pipeline''s role cannot end tenant backends blocking it'
WHERE NOT pg_catalog.pg_has_role(current_user, 'pg_signal_backend', 'USAGE')
UNION ALL
SELECT 'pg_read_all_stats', 'the tenant watchdog cannot see how long tenant queries run'
WHERE NOT pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')
UNION ALL
SELECT 'temp_file_limit', 'the pipeline''s role cannot set temp_file_limit on tenant roles'
WHERE NOT pg_catalog.has_parameter_privilege(current_user, 'temp_file_limit', 'SET')
UNION ALL
SELECT 'pg_stat_*_tables', 'per-table activity statistics readable by every login'
WHERE pg_catalog.has_table_privilege('public', 'pg_catalog.pg_stat_all_tables', 'SELECT')
