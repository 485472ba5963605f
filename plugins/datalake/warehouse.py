"""Warehouse access (Redshift, or the local PostgreSQL stand-in) through psycopg 3.

Redshift speaks the PostgreSQL wire protocol, so one driver serves both; what differs
(COPY from S3, DISTKEY/SORTKEY, RLS syntax) lives in include/sql/redshift/.
"""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from datalake.config import Settings, load_settings, redact_uri
from datalake.sqlfiles import read_sql, statements


def psycopg_uri(uri: str) -> str:
    """psycopg takes postgresql:// URIs; a redshift:// URI is the same server protocol."""
    parts = urlsplit(uri)
    if parts.scheme.startswith("redshift"):
        parts = parts._replace(scheme="postgresql")
        if parts.port is None:
            parts = parts._replace(netloc=parts.netloc + ":5439")
    return urlunsplit(parts)


def connect_kwargs(settings: Settings, uri: str | None = None) -> dict:
    """psycopg.connect arguments: from the warehouse Airflow connection (password or IAM, read
    like RedshiftSQLHook, datalake/redshift.py) when the settings came from it, else the URI."""
    from datalake.redshift import DRIVER_OPTIONS, connection_kwargs, uri_sslmode

    if uri is None and settings.warehouse_conn_id:
        from datalake.aws import get_connection
        from datalake.config import WAREHOUSE_DATABASE

        conn = get_connection(settings.warehouse_conn_id, in_task=True)
        if conn is not None:
            return {**connection_kwargs(conn, settings.aws_conn_id, WAREHOUSE_DATABASE), **DRIVER_OPTIONS}
    target = uri or settings.warehouse_uri
    is_redshift = settings.warehouse_is_redshift if uri is None else urlsplit(target).scheme.startswith("redshift")
    return {"conninfo": psycopg_uri(target), **uri_sslmode(target, is_redshift), **DRIVER_OPTIONS}


@contextmanager
def connect(settings: Settings | None = None, *, autocommit: bool = False, uri: str | None = None):
    import psycopg

    from datalake.redshift import register_unicode_encoding

    register_unicode_encoding()
    settings = settings or load_settings()
    target = uri or settings.warehouse_uri
    try:
        conn = psycopg.connect(**connect_kwargs(settings, uri), autocommit=autocommit, connect_timeout=10)
    except psycopg.OperationalError as exc:
        from datalake.s3 import ConfigurationError

        raise ConfigurationError(
            f"cannot connect to the warehouse at {redact_uri(target)} (WAREHOUSE_URI or the "
            f"redshift_default connection): {str(exc).strip()}"
        ) from exc
    try:
        yield conn
    finally:
        conn.close()


def apply_local_schema(conn) -> list[tuple[str, str]]:
    """DDL and the Redshift compatibility layer on the local PostgreSQL; idempotent."""
    from datalake.locks import INIT_LOCK, ensure_pipeline_locks, take_pipeline_lock

    ensure_pipeline_locks(conn)
    with conn.transaction():
        # Serialise concurrent `datalake init` calls (CREATE ... IF NOT EXISTS races otherwise),
        # with a lock no tenant can take (issue 17).
        take_pipeline_lock(conn, INIT_LOCK)
        conn.execute(read_sql("warehouse/ddl.sql"))
        conn.execute(read_sql("warehouse/compat.sql"))
        _apply_database_settings(conn)
        from datalake.credentials import apply_isolation

        apply_isolation(conn)  # tenant credentials' isolation (issue 7); re-applied on every init
        from datalake.query_reader import apply_query_reader

        apply_query_reader(conn)  # the read-only role of `datalake query` (issue 17)
    return hardening_gaps(conn)


def hardening_gaps(conn) -> list[tuple[str, str]]:
    """(item, problem) for what include/sql/credentials/superuser_hardening.sql, run by a
    superuser, would fix and is not in place (issue 17); empty when all is in place."""
    with conn.transaction():  # its own (committed) transaction, so that later blocks commit theirs
        return [tuple(row) for row in conn.execute(read_sql("credentials/hardening_check.sql")).fetchall()]


def _apply_database_settings(conn) -> None:
    import psycopg

    try:
        with conn.transaction():  # a savepoint: the message below replaces PostgreSQL's
            conn.execute(read_sql("warehouse/database_settings.sql"))
    except psycopg.errors.InsufficientPrivilege as exc:
        from datalake.s3 import ConfigurationError

        raise ConfigurationError(
            "datalake init sets the warehouse database's search_path and time zone for every login "
            f"and needs to run as the database's owner or a superuser: {str(exc).strip()}"
        ) from exc


def init_warehouse(settings: Settings | None = None) -> list[tuple[str, str]]:
    """Apply the warehouse DDL and tenant isolation; returns the hardening gaps only a superuser
    can close (local PostgreSQL; none listed for Redshift)."""
    settings = settings or load_settings()
    with connect(settings) as conn:
        if settings.warehouse_is_redshift:
            from urllib.parse import urlsplit

            from datalake.credentials import apply_redshift_isolation

            with conn.transaction():
                for statement in statements(read_sql("redshift/ddl.sql")):
                    conn.execute(statement)
                # The user init runs as (a superuser or sys:secadmin) is the pipeline's user.
                apply_redshift_isolation(conn, urlsplit(settings.warehouse_uri).username or "datalake_admin")
            return []
        gaps = apply_local_schema(conn)
        from datalake.query_reader import set_query_reader_password

        set_query_reader_password(conn, settings)  # the role `datalake query` logs in as (issue 17)
        return gaps
