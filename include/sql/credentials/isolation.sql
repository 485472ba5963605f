-- Tenant isolation on the local PostgreSQL stand-in. Idempotent.
-- Rendered by plugins/datalake/credentials.py (apply_isolation) with the tenant-visible tables,
-- and run by `datalake init` as the warehouse admin (datalake_admin, owner of every table) after
-- warehouse/ddl.sql and warehouse/compat.sql. The Redshift twin is
-- include/sql/redshift/credentials/isolation.sql.
--
-- Model: every credential is a LOGIN role (dl_<hex>) whose only membership is the NOLOGIN group
-- role datalake_tenant. The group has SELECT on the tenant-visible tables only; each of those
-- tables has row-level security with one policy for the group: the organisation column must
-- equal datalake_ops.current_org(), the organisation that the registry maps the session's user
-- to. The pipelines run as the tables' owner, which row-level security does not restrict.

-- 1. The group role of every credential. It logs in as nobody and is a member of nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'datalake_tenant') THEN
        CREATE ROLE datalake_tenant NOLOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object THEN
    NULL;  -- created meanwhile by an init of another database in the same cluster
END
$$;

-- 2. The registry: who issued which credential for which organisation, and when it was revoked.
--    There is no password column: PostgreSQL keeps only the SCRAM verifier, in pg_authid.
CREATE TABLE IF NOT EXISTS datalake_ops.credentials (
    username    varchar(63)   NOT NULL PRIMARY KEY,
    org_id      varchar(64)   NOT NULL,
    created_by  varchar(256),
    created_at  timestamptz   NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    revoked_by  varchar(256)
);
CREATE INDEX IF NOT EXISTS credentials_org_idx ON datalake_ops.credentials (org_id);
-- The SCRAM verifier each credential was issued with (not the password: the verifier cannot log
-- in). PostgreSQL lets every role change its own password; the tenant watchdog puts this
-- verifier back (credentials.restore_tenant_passwords). Deleted on revoke.
CREATE TABLE IF NOT EXISTS datalake_ops.credential_verifiers (
    username    varchar(63)   NOT NULL PRIMARY KEY REFERENCES datalake_ops.credentials (username),
    verifier    text          NOT NULL
);

-- 3. The user -> organisation mapping the policies use. SECURITY DEFINER (runs as the admin) so
--    that tenants never read the registry itself: a tenant learns only its own organisation.
--    session_user, not current_user: inside a SECURITY DEFINER function current_user is the
--    owner, and a tenant cannot change its session user (SET SESSION AUTHORIZATION needs a
--    superuser). A revoked credential maps to no organisation, so it sees no row.
CREATE OR REPLACE FUNCTION datalake_ops.current_org()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.org_id::text
    FROM datalake_ops.credentials c
    WHERE c.username = session_user::text AND c.revoked_at IS NULL
$$;
REVOKE ALL ON FUNCTION datalake_ops.current_org() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION datalake_ops.current_org() TO datalake_tenant;

-- 4. Schemas: tenants may look up objects in epilot_datalake and redshift_compat (the functions
--    the docs' queries need), create nothing anywhere, and use neither datalake_ops nor public.
--    The policies reference current_org() by its OID, so no USAGE on datalake_ops is needed.
REVOKE ALL ON SCHEMA datalake_ops FROM PUBLIC;
REVOKE ALL ON SCHEMA datalake_ops FROM datalake_tenant;
REVOKE ALL ON ALL TABLES IN SCHEMA datalake_ops FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA datalake_ops FROM datalake_tenant;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM datalake_tenant;
REVOKE CREATE ON SCHEMA epilot_datalake FROM PUBLIC;
REVOKE CREATE ON SCHEMA epilot_datalake FROM datalake_tenant;
GRANT USAGE ON SCHEMA epilot_datalake TO datalake_tenant;
REVOKE CREATE ON SCHEMA redshift_compat FROM PUBLIC;
REVOKE CREATE ON SCHEMA redshift_compat FROM datalake_tenant;
GRANT USAGE ON SCHEMA redshift_compat TO datalake_tenant;
-- Internal tables of epilot_datalake (entity_latest_operation) are never granted.
REVOKE ALL ON epilot_datalake.entity_latest_operation FROM PUBLIC;
REVOKE ALL ON epilot_datalake.entity_latest_operation FROM datalake_tenant;

-- 5. The database: no temporary tables or functions for anyone but its owner (a temporary
--    function is the one object a tenant could otherwise create). Only the owner can change it.
DO $$
BEGIN
    IF pg_catalog.pg_has_role(
        (SELECT datdba FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()), 'USAGE') THEN
        EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', pg_catalog.current_database());
        EXECUTE format('REVOKE ALL ON DATABASE %I FROM datalake_tenant', pg_catalog.current_database());
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO datalake_tenant', pg_catalog.current_database());
    END IF;
END
$$;

-- 6. Objects created later are not granted to tenants unless this script covers them; new
--    functions are not executable by PUBLIC (compat.sql grants its own explicitly).
ALTER DEFAULT PRIVILEGES IN SCHEMA epilot_datalake REVOKE ALL ON TABLES FROM datalake_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA epilot_datalake REVOKE ALL ON TABLES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA datalake_ops REVOKE ALL ON TABLES FROM datalake_tenant;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- 7. The tenant-visible tables: row-level security on, one SELECT policy for the group keyed on
--    the organisation column, SELECT granted. A missing table fails the script (ddl.sql runs
--    first). Nothing is re-created when it is already as wanted, so a re-run takes no lock that
--    would wait for a running load.
DO $$
DECLARE
    t record;
    wanted_roles name[] := ARRAY['datalake_tenant']::name[];
BEGIN
    FOR t IN
        SELECT v.table_name, v.org_column, c.oid AS relid, c.relrowsecurity
        FROM (VALUES
{%- for table, org_column in tenant_tables %}
            ('{{ table }}', '{{ org_column }}'){{ "," if not loop.last }}
{%- endfor %}
        ) AS v(table_name, org_column)
        LEFT JOIN pg_catalog.pg_class c
               ON c.relname = v.table_name
              AND c.relnamespace = 'epilot_datalake'::regnamespace
    LOOP
        IF t.relid IS NULL THEN
            RAISE EXCEPTION 'tenant isolation: table epilot_datalake.% does not exist', t.table_name;
        END IF;
        IF NOT t.relrowsecurity THEN
            EXECUTE format('ALTER TABLE epilot_datalake.%I ENABLE ROW LEVEL SECURITY', t.table_name);
        END IF;
        IF NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_policies p
            WHERE p.schemaname = 'epilot_datalake' AND p.tablename = t.table_name
              AND p.policyname = 'datalake_tenant_isolation'
              AND p.permissive = 'PERMISSIVE' AND p.cmd = 'SELECT' AND p.roles = wanted_roles
              AND p.qual = format('((%I)::text = ( SELECT datalake_ops.current_org() AS current_org))', t.org_column)
        ) THEN
            EXECUTE format('DROP POLICY IF EXISTS datalake_tenant_isolation ON epilot_datalake.%I', t.table_name);
            EXECUTE format(
                'CREATE POLICY datalake_tenant_isolation ON epilot_datalake.%I AS PERMISSIVE FOR SELECT '
                'TO datalake_tenant USING (%I = (SELECT datalake_ops.current_org()))',
                t.table_name, t.org_column);
        END IF;
        IF NOT pg_catalog.has_table_privilege('datalake_tenant', t.relid, 'SELECT') THEN
            EXECUTE format('GRANT SELECT ON epilot_datalake.%I TO datalake_tenant', t.table_name);
        END IF;
        IF pg_catalog.has_table_privilege('datalake_tenant', t.relid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') THEN
            EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON epilot_datalake.%I FROM datalake_tenant', t.table_name);
        END IF;
    END LOOP;
END
$$;

-- 8. Views in epilot_datalake that run with the caller's privileges (security_invoker) read the
--    tables above under the caller's policies, so they are granted too, however often they are
--    rebuilt. A view without security_invoker would read as its owner, past every policy: it is
--    never granted here, and the check below fails if someone granted it.
DO $$
DECLARE
    v record;
BEGIN
    FOR v IN
        SELECT c.relname
        FROM pg_catalog.pg_class c
        WHERE c.relnamespace = 'epilot_datalake'::regnamespace AND c.relkind = 'v'
          AND EXISTS (SELECT 1 FROM unnest(c.reloptions) o
                      WHERE lower(o) IN ('security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes'))
          AND NOT pg_catalog.has_table_privilege('datalake_tenant', c.oid, 'SELECT')
    LOOP
        EXECUTE format('GRANT SELECT ON epilot_datalake.%I TO datalake_tenant', v.relname);
    END LOOP;
END
$$;

-- 9. The check: every way a tenant could read past the policies, reported as rows.
CREATE OR REPLACE FUNCTION datalake_ops.isolation_violations()
RETURNS TABLE (object text, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH tenant AS (SELECT oid FROM pg_roles WHERE rolname = 'datalake_tenant'),
    user_schemas AS (
        SELECT oid, nspname FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
          AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
    ),
    readable AS (
        SELECT c.oid, c.relkind, c.relrowsecurity, c.reloptions, n.nspname,
               format('%I.%I', n.nspname, c.relname) AS name
        FROM pg_class c JOIN user_schemas n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND has_any_column_privilege('datalake_tenant', c.oid, 'SELECT')
    )
    SELECT name, 'granted to tenants without row-level security' FROM readable
     WHERE relkind IN ('r', 'p') AND NOT relrowsecurity
    UNION ALL
    SELECT name, 'granted to tenants without the datalake_tenant_isolation policy' FROM readable r
     WHERE relkind IN ('r', 'p') AND relrowsecurity
       AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = r.oid AND p.polname = 'datalake_tenant_isolation')
    UNION ALL
    SELECT name, 'view granted to tenants without security_invoker = true' FROM readable r
     WHERE relkind = 'v'
       AND NOT EXISTS (SELECT 1 FROM unnest(r.reloptions) o
                       WHERE lower(o) IN ('security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes'))
    UNION ALL
    SELECT name, 'materialized view or foreign table granted to tenants (no row-level security possible)'
      FROM readable WHERE relkind IN ('m', 'f')
    UNION ALL
    SELECT name, 'internal relation granted to tenants' FROM readable
     WHERE nspname = 'datalake_ops' OR name = 'epilot_datalake.entity_latest_operation'
    UNION ALL
    -- Permissive policies are OR-ed: any other policy that applies to a tenant widens its view.
    SELECT format('%I.%I', n.nspname, c.relname) || ' policy ' || quote_ident(p.polname),
           'another policy applies to tenants'
      FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE p.polname <> 'datalake_tenant_isolation' AND p.polpermissive AND p.polcmd IN ('r', '*')
       AND (0 = ANY (p.polroles)
            OR EXISTS (SELECT 1 FROM unnest(p.polroles) r WHERE r <> 0 AND pg_has_role('datalake_tenant', r, 'MEMBER'))
            OR EXISTS (SELECT 1 FROM unnest(p.polroles) r JOIN pg_auth_members m ON m.member = r
                       WHERE m.roleid = (SELECT oid FROM tenant)))
    UNION ALL
    -- Typed tables are one schema per organisation, granted to that organisation's credentials
    -- only (no row-level security: every row is the organisation's).
    SELECT format('%I.%I', n.nspname, c.relname),
           'typed table readable by tenants of another organisation or by every tenant'
      FROM datalake_ops.typed_schemas t JOIN pg_namespace n ON n.nspname = t.schema_name
      JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
     WHERE has_any_column_privilege('datalake_tenant', c.oid, 'SELECT')
        OR EXISTS (SELECT 1 FROM datalake_ops.credentials o JOIN pg_roles u ON u.rolname = o.username
                   WHERE o.org_id <> t.org_id AND has_any_column_privilege(u.oid, c.oid, 'SELECT'))
    UNION ALL
    SELECT quote_ident(t.schema_name), 'typed schema usable by tenants of another organisation'
      FROM datalake_ops.typed_schemas t JOIN pg_namespace n ON n.nspname = t.schema_name
     WHERE has_schema_privilege('datalake_tenant', n.oid, 'USAGE')
        OR EXISTS (SELECT 1 FROM datalake_ops.credentials o JOIN pg_roles u ON u.rolname = o.username
                   WHERE o.org_id <> t.org_id AND has_schema_privilege(u.oid, n.oid, 'USAGE'))
    UNION ALL
    SELECT quote_ident(nspname), 'tenants may create objects in this schema' FROM user_schemas
     WHERE has_schema_privilege('datalake_tenant', oid, 'CREATE')
    UNION ALL
    SELECT quote_ident(nspname), 'tenants may use this internal schema' FROM user_schemas
     WHERE nspname IN ('datalake_ops', 'public') AND has_schema_privilege('datalake_tenant', oid, 'USAGE')
    UNION ALL
    SELECT 'role ' || quote_ident(g.rolname), 'datalake_tenant is a member of another role'
      FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
     WHERE m.member = (SELECT oid FROM tenant)
    UNION ALL
    SELECT 'role ' || quote_ident(u.rolname), 'a credential is a member of a role other than datalake_tenant'
      FROM datalake_ops.credentials c JOIN pg_roles u ON u.rolname = c.username
      JOIN pg_auth_members m ON m.member = u.oid
     WHERE m.roleid <> (SELECT oid FROM tenant)
    UNION ALL
    SELECT 'role ' || quote_ident(u.rolname), 'a credential has superuser, CREATEROLE, CREATEDB, replication or BYPASSRLS'
      FROM datalake_ops.credentials c JOIN pg_roles u ON u.rolname = c.username
     WHERE u.rolsuper OR u.rolcreaterole OR u.rolcreatedb OR u.rolreplication OR u.rolbypassrls
    UNION ALL
    SELECT format('%I.%I(%s)', n.nspname, f.proname, pg_get_function_identity_arguments(f.oid)),
           'SECURITY DEFINER function executable by tenants'
      FROM pg_proc f JOIN user_schemas n ON n.oid = f.pronamespace
     WHERE f.prosecdef AND has_function_privilege('datalake_tenant', f.oid, 'EXECUTE')
       AND f.oid <> 'datalake_ops.current_org()'::regprocedure
$$;
REVOKE ALL ON FUNCTION datalake_ops.isolation_violations() FROM PUBLIC;

-- 10. Fail loudly: `datalake init` (and this script) stop rather than leave a hole open.
DO $$
DECLARE
    problems text;
BEGIN
    SELECT string_agg(object || ': ' || problem, '; ' ORDER BY object) INTO problems
    FROM datalake_ops.isolation_violations();
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'tenant isolation violated: %', problems
            USING HINT = 'enable row-level security with the tenant policy (list the table in '
                         'plugins/datalake/credentials.py TENANT_TABLES), make views security_invoker, '
                         'or revoke the grant';
    END IF;
END
$$;
