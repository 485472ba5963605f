"""Tenant credentials on PostgreSQL (the local warehouse): isolation (include/sql/credentials/
isolation.sql, applied by ``datalake init``), and issuing, listing and revoking login roles."""

from __future__ import annotations

from datalake.config import Settings
from datalake.credentials.rules import (
    CONNECTION_LIMIT,
    TENANT_ROLE,
    TENANT_STATEMENT_TIMEOUT,
    TENANT_TEMP_FILE_LIMIT,
    Credential,
    CredentialError,
    CredentialRecord,
    endpoint_of,
    generate_password,
    new_username,
)
from datalake.sqlfiles import query_file, read_sql, render_sql, statements
from datalake.tenant_tables import TENANT_TABLES

# --- PostgreSQL: isolation ----------------------------------------------------------------


def render_isolation() -> str:
    return render_sql("credentials/isolation.sql", tenant_tables=TENANT_TABLES)


def apply_isolation(conn) -> None:
    """Apply (or re-apply) tenant isolation on the local PostgreSQL; idempotent.

    Raises (psycopg error 'tenant isolation violated: …') when a relation is readable by tenants
    without row-level security, or anything else in ``isolation_violations()`` is wrong."""
    conn.execute(render_isolation())


def isolation_violations(conn) -> list[tuple[str, str]]:
    """(object, problem) rows: every way a tenant could currently read past the policies."""
    return [tuple(row) for row in conn.execute(read_sql("credentials/check.sql")).fetchall()]


def composed_statements(relative: str, **parts) -> list:
    """The statements of an include/sql file with {name} placeholders filled by psycopg.sql."""
    from psycopg import sql

    return [sql.SQL(statement).format(**parts) for statement in statements(read_sql(relative))]


def _rows(conn, name: str, params: dict | None = None) -> list[tuple]:
    return query_file(conn, f"credentials/{name}.sql", params)


def _value(conn, name: str, params: dict | None = None):
    """The one value an include/sql/credentials/<name>.sql query returns."""
    return _rows(conn, name, params)[0][0]


def record_of(
    row, sessions_terminated: int | None = None, sessions_note: str | None = None
) -> CredentialRecord:
    return CredentialRecord(
        *row, sessions_terminated=sessions_terminated, sessions_note=sessions_note
    )


def _require_isolation(conn) -> None:
    ready = _value(conn, "isolation_ready", {"tenant_role": TENANT_ROLE})
    if not ready:
        raise CredentialError(
            "tenant isolation is not set up in this warehouse: run `datalake init` first"
        )
    problems = isolation_violations(conn)
    if problems:
        listed = "; ".join(f"{obj}: {problem}" for obj, problem in problems)
        raise CredentialError(
            f"refusing to issue a credential while tenant isolation is broken: {listed}"
        )


# --- issue, list, revoke on PostgreSQL ----------------------------------------------------


def generate_postgres(org_id: str, created_by: str | None, settings: Settings) -> Credential:
    from psycopg import sql

    from datalake.scram import scram_sha256_verifier
    from datalake.typed.refresh import open_typed_schema
    from datalake.warehouse import connect

    host, port, database = endpoint_of(settings)
    password = generate_password()
    with connect(settings) as conn:
        with conn.transaction():
            _require_isolation(conn)
            username = new_username()
            while _rows(conn, "username_taken", {"username": username}):
                username = new_username()
            verifier = scram_sha256_verifier(password)
            for statement in composed_statements(
                "credentials/create_user.sql",
                username=sql.Identifier(username),
                verifier=sql.Literal(verifier),
                connection_limit=sql.Literal(CONNECTION_LIMIT),
            ):
                conn.execute(statement)
            _apply_tenant_limits(conn, username)
            open_typed_schema(conn, org_id, username)
            row = conn.execute(
                read_sql("credentials/registry_insert.sql"),
                {"username": username, "org_id": org_id, "created_by": created_by},
            ).fetchone()
            conn.execute(
                read_sql("credentials/verifier_insert.sql"),
                {"username": username, "verifier": verifier},
            )
    record = record_of(row)
    return Credential(
        username=username,
        password=password,
        host=host,
        port=port,
        database=database,
        org_id=org_id,
        created_by=record.created_by,
        created_at=record.created_at,
        ssl_required=False,
    )


def _apply_tenant_limits(conn, username: str) -> None:
    """Session defaults, and temp_file_limit when the superuser let this role set it."""
    from psycopg import sql

    for statement in composed_statements(
        "credentials/tenant_defaults.sql",
        username=sql.Identifier(username),
        statement_timeout=sql.Literal(TENANT_STATEMENT_TIMEOUT),
    ):
        conn.execute(statement)
    if _value(conn, "can_set_temp_file_limit"):
        for statement in composed_statements(
            "credentials/tenant_temp_file_limit.sql",
            username=sql.Identifier(username),
            temp_file_limit=sql.Literal(TENANT_TEMP_FILE_LIMIT),
        ):
            conn.execute(statement)


def restore_tenant_passwords(conn) -> int:
    """Put back the verifier every active credential was issued with; returns how many.

    PostgreSQL lets any role change its own password (ALTER ROLE current_user PASSWORD ...),
    and no privilege or event trigger stops it. Credentials are rotated by `datalake
    credentials`, not by tenants, so the tenant watchdog calls this on every round: a password
    a tenant chose works until then, and never grants more than the credential already had.
    The admin may alter the roles it created (CREATEROLE gives it ADMIN OPTION on them)."""
    from psycopg import sql

    if not _value(conn, "has_verifiers"):
        return 0
    rows = conn.execute(read_sql("credentials/verifiers_active.sql")).fetchall()
    for username, verifier in rows:
        for statement in composed_statements(
            "credentials/restore_password.sql",
            username=sql.Identifier(username),
            verifier=sql.Literal(verifier),
        ):
            conn.execute(statement)
    return len(rows)


def list_postgres(org_id: str | None, settings: Settings) -> list[CredentialRecord]:
    from datalake.warehouse import connect

    with connect(settings) as conn:
        exists = _value(conn, "has_registry")
        if not exists:
            raise CredentialError(
                "no credential registry in this warehouse: run `datalake init` first"
            )
        rows = conn.execute(
            read_sql("credentials/registry_list.sql"), {"org_id": org_id}
        ).fetchall()
    return [record_of(row) for row in rows]


def revoke_postgres(username: str, revoked_by: str | None, settings: Settings) -> CredentialRecord:
    from psycopg import sql

    from datalake.warehouse import connect

    with connect(settings) as conn:
        with conn.transaction():
            if not _value(conn, "has_registry"):
                raise CredentialError(
                    f"unknown credential {username!r}: no credential registry in this warehouse"
                )
            row = conn.execute(
                read_sql("credentials/registry_lock.sql"), {"username": username}
            ).fetchone()
            if row is None:
                raise CredentialError(
                    f"unknown credential {username!r} (see `datalake credentials list`)"
                )
            current = record_of(row)
            if not current.active:
                raise CredentialError(
                    f"credential {username!r} was already revoked at "
                    f"{current.revoked_at:%Y-%m-%d %H:%M:%S %Z}"
                )
            if _rows(conn, "role_exists", {"username": username}):
                for statement in composed_statements(
                    "credentials/revoke_user.sql", username=sql.Identifier(username)
                ):
                    conn.execute(statement)
            row = conn.execute(
                read_sql("credentials/registry_revoke.sql"),
                {"username": username, "revoked_by": revoked_by},
            ).fetchone()
            if _value(conn, "has_verifiers"):
                conn.execute(read_sql("credentials/verifier_delete.sql"), {"username": username})
        # After the commit no new login can succeed; now end the sessions already open.
        terminated = 0
        if _rows(conn, "role_exists", {"username": username}):
            with conn.transaction():
                for statement in composed_statements(
                    "credentials/terminate_sessions.sql",
                    username=sql.Identifier(username),
                    username_text=sql.Literal(username),
                ):
                    cur = conn.execute(statement)
                    if cur.description is not None:
                        terminated = cur.fetchone()[0]
    return record_of(row, sessions_terminated=terminated)
