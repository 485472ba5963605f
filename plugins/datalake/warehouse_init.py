"""`datalake init`: the warehouse's DDL, the Redshift compatibility layer, the database's
settings and the tenants' isolation, applied on the configured warehouse; idempotent.

Apart from datalake.warehouse (connections), which the isolation code uses too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from datalake.config import Settings, load_settings
from datalake.sqlfiles import execute_file, query_file, read_sql, statements
from datalake.warehouse import connect

# Columns added to a table after warehouses were created with it: CREATE TABLE IF NOT EXISTS
# leaves an existing table as it is, so `datalake init` adds each one where it is missing
# (Redshift's ALTER TABLE ADD COLUMN has no IF NOT EXISTS). (schema, table, column, type);
# rows already there get NULL, which each column's comment in the DDL gives a meaning.
ADDED_COLUMNS = (("datalake_ops", "workflow_event_owner", "content_hash", "varchar(64)"),)


def add_missing_columns(conn) -> list[str]:
    """ALTER TABLE ... ADD COLUMN for each of ADDED_COLUMNS the warehouse lacks; returns what
    was added (schema.table.column)."""
    added = []
    for schema, table, column, kind in ADDED_COLUMNS:
        params = {"schema": schema, "table": table, "column": column}
        if query_file(conn, "warehouse/column_exists.sql", params):
            continue
        execute_file(
            conn, "warehouse/add_column.sql", table=f"{schema}.{table}", column=column, kind=kind
        )
        added.append(f"{schema}.{table}.{column}")
    return added


def apply_local_schema(conn) -> list[tuple[str, str]]:
    """DDL and the Redshift compatibility layer on the local PostgreSQL; idempotent."""
    from datalake.locks import INIT_LOCK, ensure_pipeline_locks, take_pipeline_lock

    ensure_pipeline_locks(conn)
    with conn.transaction():
        # Serialise concurrent `datalake init` calls (CREATE ... IF NOT EXISTS races otherwise),
        # with a lock no tenant can take.
        take_pipeline_lock(conn, INIT_LOCK)
        conn.execute(read_sql("warehouse/ddl.sql"))
        add_missing_columns(conn)
        conn.execute(read_sql("warehouse/compat.sql"))
        _apply_database_settings(conn)
        from datalake.credentials import apply_isolation

        apply_isolation(conn)  # tenant credentials' isolation; re-applied on every init
        from datalake.query_reader import apply_query_reader

        apply_query_reader(conn)  # the read-only role of `datalake query`
        apply_superuser_hardening(conn)
    return hardening_gaps(conn)


def apply_superuser_hardening(conn) -> bool:
    """Apply include/sql/credentials/superuser_hardening.sql when this session is a superuser
    (who is then the pipeline's role too); a login without that power gets the gaps listed by
    hardening_gaps() instead. Returns whether it was applied."""
    from psycopg import sql

    from datalake.sqlfiles import render_sql

    row = conn.execute(read_sql("credentials/session_is_superuser.sql")).fetchone()
    if not (row and row[0]):
        return False
    admin = sql.Identifier(conn.info.user).as_string(conn)
    conn.execute(render_sql("credentials/superuser_hardening.sql", admin=admin))
    return True


def enable_metadata_security(conn) -> list[tuple[str, str]]:
    """Redshift: turn metadata security on, so that a tenant's catalog queries (and a BI tool's
    schema browser) list only what it may read, not other organisations' typed table and
    column names. Only a superuser (or admin user) may; for any other login the gap is
    returned and `datalake init` says that it is off."""
    from psycopg import errors

    conn.autocommit = True  # a system setting, outside any transaction
    try:
        conn.execute(read_sql("redshift/metadata_security.sql"))
    except errors.InsufficientPrivilege as exc:
        return [
            (
                "metadata security",
                f"OFF ({exc.diag.message_primary}): every tenant can list other organisations' "
                "typed table and column names in the catalog; a superuser should run "
                "include/sql/redshift/metadata_security.sql",
            )
        ]
    return []


def hardening_gaps(conn) -> list[tuple[str, str]]:
    """(item, problem) for what include/sql/credentials/superuser_hardening.sql, run by a
    superuser, would fix and is not in place; empty when all is in place."""
    with conn.transaction():  # its own (committed) transaction, so that later blocks commit theirs
        return [
            tuple(row)
            for row in conn.execute(read_sql("credentials/hardening_check.sql")).fetchall()
        ]


def _apply_database_settings(conn) -> None:
    import psycopg

    try:
        with conn.transaction():  # a savepoint: the message below replaces PostgreSQL's
            conn.execute(read_sql("warehouse/database_settings.sql"))
    except psycopg.errors.InsufficientPrivilege as exc:
        from datalake.errors import ConfigurationError

        raise ConfigurationError(
            "datalake init sets the warehouse database's search_path and time zone for every login "
            f"and needs to run as the database's owner or a superuser: {str(exc).strip()}"
        ) from exc


def init_warehouse(settings: Settings | None = None) -> list[tuple[str, str]]:
    """Apply the warehouse DDL and tenant isolation; returns the hardening gaps only a superuser
    can close (local PostgreSQL; on Redshift, metadata security when it could not be turned on)."""
    settings = settings or load_settings()
    with connect(settings) as conn:
        if settings.warehouse_is_redshift:
            from datalake.credentials import apply_redshift_isolation

            with conn.transaction():
                for statement in statements(read_sql("redshift/ddl.sql")):
                    conn.execute(statement)
                add_missing_columns(conn)
                # The user init runs as (a superuser or sys:secadmin) is the pipeline's user.
                apply_redshift_isolation(conn, settings.redshift_iam_role)
                if urlsplit(
                    settings.warehouse_uri
                ).password:  # IAM logins: no password to derive from
                    from datalake.query_reader import apply_redshift_query_reader

                    apply_redshift_query_reader(conn, settings)  # the user `datalake query` runs as
            return enable_metadata_security(conn)
        gaps = apply_local_schema(conn)
        from datalake.query_reader import set_query_reader_password

        set_query_reader_password(conn, settings)  # the role `datalake query` logs in as
        return gaps
