-- The tenant backends the watchdog ends (datalake.tenant_watchdog): a tenant query
-- running past the limit, a tenant transaction idle past it, or a tenant backend holding a lock
-- that a non-tenant backend (a load, `datalake init`) has waited for longer than the grace.
-- statement_timeout and idle_in_transaction_session_timeout are the tenant's to change, so
-- this is where the limit is enforced. Needs pg_read_all_stats (to see tenants' state) and
-- pg_signal_backend: superuser_hardening.sql grants both to the pipeline's role.
WITH tenants AS (
    -- Credentials inherit the group; the admin that created the group is a member too in
    -- PostgreSQL 16, but only with ADMIN OPTION and without INHERIT.
    SELECT m.member FROM pg_catalog.pg_auth_members m
    WHERE m.roleid = 'datalake_tenant'::regrole AND m.inherit_option AND NOT m.admin_option
),
tenant_backends AS (
    SELECT a.pid, a.usename, a.state, a.query_start, a.state_change
    FROM pg_catalog.pg_stat_activity a
    WHERE a.backend_type = 'client backend' AND a.pid <> pg_catalog.pg_backend_pid()
      AND a.usesysid IN (SELECT member FROM tenants)
),
blockers AS (
    SELECT DISTINCT b.pid
    FROM pg_catalog.pg_stat_activity w
    CROSS JOIN LATERAL unnest(pg_catalog.pg_blocking_pids(w.pid)) AS b(pid)
    WHERE w.wait_event_type = 'Lock'
      AND w.usesysid NOT IN (SELECT member FROM tenants)
      AND w.query_start < now() - make_interval(secs => %(grace_seconds)s)
)
SELECT t.pid, t.usename::text,
       CASE WHEN t.pid IN (SELECT pid FROM blockers) THEN 'holds a lock the pipeline waits for'
            WHEN t.state = 'active' THEN 'query ran past the limit'
            ELSE 'transaction idle past the limit' END AS reason
FROM tenant_backends t
WHERE t.pid IN (SELECT pid FROM blockers)
   OR (t.state = 'active' AND t.query_start < now() - make_interval(secs => %(limit_seconds)s))
   OR (t.state LIKE 'idle in transaction%%' AND t.state_change < now() - make_interval(secs => %(limit_seconds)s))
ORDER BY t.pid
