"""The read-only role `datalake query` logs in as on the local PostgreSQL.

``datalake_reader`` (include/sql/warehouse/query_reader.sql) has SELECT on the warehouse and
nothing else: no CREATE anywhere, no TEMP, no large objects, no write privilege, so a statement
that ends the read-only transaction (``COMMIT; CREATE TABLE ...``, ``BEGIN READ WRITE``) still
cannot write. Its password is derived from the admin's (HMAC-SHA-256 keyed with the admin
password), so `datalake init` and `datalake query` agree on it without storing anything new,
and it changes whenever the admin password does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from datalake.config import Settings

READER_ROLE = "datalake_reader"


def _admin_password(settings: Settings) -> str:
    password = urlsplit(settings.warehouse_uri).password
    if not password:
        from datalake.errors import ConfigurationError

        raise ConfigurationError(
            "the warehouse URI has no password: `datalake query` derives its read-only login "
            "from it"
        )
    return unquote(password)


def reader_password(settings: Settings) -> str:
    parts = urlsplit(settings.warehouse_uri)
    digest = hmac.new(
        _admin_password(settings).encode(), f"{READER_ROLE}@{parts.path}".encode(), hashlib.sha256
    )
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def reader_uri(settings: Settings) -> str:
    parts = urlsplit(settings.warehouse_uri)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{READER_ROLE}:{quote(reader_password(settings), safe='')}@{host}" + (
        f":{parts.port}" if parts.port else ""
    )
    return urlunsplit(parts._replace(netloc=netloc))


def apply_query_reader(conn) -> None:
    """The reader role, its grants and its row-level security policies (inside init's
    transaction)."""
    from datalake.sqlfiles import render_sql
    from datalake.tenant_tables import TENANT_TABLES

    conn.execute(render_sql("warehouse/query_reader.sql", tenant_tables=TENANT_TABLES))


def set_query_reader_password(conn, settings: Settings) -> None:
    """The reader's password, derived from the admin's in ``settings`` (as the admin)."""
    from psycopg import sql

    from datalake.scram import scram_sha256_verifier
    from datalake.sqlfiles import read_sql

    with conn.transaction():
        conn.execute(
            sql.SQL(read_sql("warehouse/query_reader_password.sql")).format(
                verifier=sql.Literal(scram_sha256_verifier(reader_password(settings)))
            )
        )


def apply_redshift_query_reader(conn, settings: Settings) -> None:
    """The reader user on Redshift (include/sql/redshift/query_reader.sql), in init's
    transaction."""
    from datalake.sqlfiles import execute_file

    password_md5 = (
        "md5" + hashlib.md5((reader_password(settings) + READER_ROLE).encode()).hexdigest()
    )
    if conn.execute("SELECT 1 FROM pg_user WHERE usename = %s", [READER_ROLE]).fetchone() is None:
        conn.execute(
            f"CREATE USER {READER_ROLE} PASSWORD '{password_md5}' NOCREATEDB NOCREATEUSER "
            "CONNECTION LIMIT 10"
        )
    execute_file(conn, "redshift/query_reader.sql", password_md5=password_md5)
