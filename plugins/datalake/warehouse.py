"""Warehouse access (Redshift, or the local PostgreSQL stand-in) through psycopg 3.

Redshift speaks the PostgreSQL wire protocol, so one driver serves both; what differs
(COPY from S3, DISTKEY/SORTKEY, RLS syntax) lives in include/sql/redshift/.
"""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from datalake.config import POSTGRES, Settings, load_settings, redact_uri, warehouse_kind


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
            return {
                **connection_kwargs(conn, settings.aws_conn_id, WAREHOUSE_DATABASE),
                **DRIVER_OPTIONS,
            }
    target = uri or settings.warehouse_uri
    is_redshift = warehouse_kind(target, settings.declared_warehouse_kind) != POSTGRES
    return {"conninfo": psycopg_uri(target), **uri_sslmode(target, is_redshift), **DRIVER_OPTIONS}


@contextmanager
def connect(settings: Settings | None = None, *, autocommit: bool = False, uri: str | None = None):
    import psycopg

    settings = settings or load_settings()
    target = uri or settings.warehouse_uri
    try:
        conn = psycopg.connect(
            **connect_kwargs(settings, uri), autocommit=autocommit, connect_timeout=10
        )
    except psycopg.OperationalError as exc:
        from datalake.errors import ConfigurationError

        raise ConfigurationError(
            f"cannot connect to the warehouse at {redact_uri(target)} (WAREHOUSE_URI or the "
            f"redshift_default connection): {str(exc).strip()}"
        ) from exc
    try:
        yield conn
    finally:
        conn.close()
