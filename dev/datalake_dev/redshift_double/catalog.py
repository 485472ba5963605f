"""The double's own catalog in the upstream database (schema ``redshift_double``): what
Redshift keeps and PostgreSQL has no place for (RLS policies and their attachments, IGNORE
RLS grantees, ASSUMEROLE grants) and the system views the project reads (stv_sessions,
svv_roles). Installed once by the upstream URI's user (the database owner locally); changes
to it are made by that user too, outside the client's transaction."""

from __future__ import annotations

CATALOG_SQL = """
CREATE SCHEMA IF NOT EXISTS redshift_double;
GRANT USAGE ON SCHEMA redshift_double TO PUBLIC;
CREATE TABLE IF NOT EXISTS redshift_double.rls_policy (
    name text PRIMARY KEY, columns text NOT NULL, alias text, predicate text NOT NULL);
CREATE TABLE IF NOT EXISTS redshift_double.rls_attachment (
    policy text NOT NULL, table_oid oid NOT NULL, grantee text NOT NULL,
    PRIMARY KEY (policy, table_oid, grantee));
CREATE TABLE IF NOT EXISTS redshift_double.ignore_rls (grantee text PRIMARY KEY);
CREATE TABLE IF NOT EXISTS redshift_double.assumerole (
    grantee text NOT NULL, iam_role text NOT NULL, command text NOT NULL,
    PRIMARY KEY (grantee, iam_role, command));
REVOKE ALL ON ALL TABLES IN SCHEMA redshift_double FROM PUBLIC;
CREATE OR REPLACE VIEW redshift_double.stv_sessions WITH (security_invoker = true) AS
    SELECT backend_start::timestamp AS starttime, pid AS process,
           rpad(usename::text, 50)::char(50) AS user_name,
           rpad(datname::text, 50)::char(50) AS db_name
    FROM pg_stat_activity WHERE backend_type = 'client backend';
CREATE OR REPLACE VIEW redshift_double.svv_roles WITH (security_invoker = true) AS
    SELECT oid::int AS role_id, rolname::varchar(128) AS role_name,
           NULL::varchar(128) AS role_owner,
           NULL::varchar(128) AS external_id
    FROM pg_roles WHERE NOT rolcanlogin AND rolname NOT LIKE 'pg\\_%';
GRANT SELECT ON redshift_double.stv_sessions, redshift_double.svv_roles TO PUBLIC;
DROP FUNCTION IF EXISTS redshift_double.ignores_rls();
DROP FUNCTION IF EXISTS redshift_double.rls_attached(oid);
"""


def install(upstream_uri: str) -> None:
    import psycopg

    with admin(upstream_uri) as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(2302)")  # two doubles starting at once
            fresh = conn.execute(
                "SELECT to_regclass('redshift_double.assumerole') IS NULL"
            ).fetchone()[0]
            conn.execute(CATALOG_SQL)
            from datalake_dev.redshift_double.partiql import FUNCTIONS_SQL

            conn.execute(FUNCTIONS_SQL)  # SUPER's functions, on jsonb
            from datalake_dev.redshift_double import metadata

            metadata.install(conn)  # metadata security's filtered catalog
            # Redshift's own functions PostgreSQL lacks (json_extract_path_text(varchar, …,
            # null_if_invalid)): the project's PostgreSQL compatibility layer provides them, in
            # schema redshift_compat (on the local database's search_path).
            from datalake.sqlfiles import read_sql

            conn.execute(read_sql("warehouse/compat.sql"))
            if fresh:
                # ASSUMEROLE on every role for every command is PUBLIC's until revoked.
                conn.execute(
                    "INSERT INTO redshift_double.assumerole VALUES ('PUBLIC', 'ALL', 'ALL')"
                )
    del psycopg


def admin(upstream_uri: str):
    import psycopg

    # Bodies are not checked when a policy's function is created: the tables a policy reads
    # may be created in the client's still open transaction (`datalake init` on a new
    # database creates the registry and the policies in one), which this session cannot see.
    return psycopg.connect(upstream_uri, autocommit=True, options="-c check_function_bodies=off")
