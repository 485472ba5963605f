"""Per-organisation, read-only warehouse credentials (SPEC §4, issue 7).

``generate(org_id)`` issues a credential (username, endpoint, database, password: the password
is returned once and never stored), ``list_credentials()`` shows the registry and
``revoke(username)`` ends a credential: its login fails and its open sessions end.

Isolation lives in the warehouse, in include/sql/credentials/isolation.sql (PostgreSQL, applied
by ``apply_isolation`` from ``datalake init``) and include/sql/redshift/credentials/ (Redshift):
every credential is a login role whose only membership is the group ``datalake_tenant``, which
may SELECT the tenant-visible tables only; row-level security on each of them keeps the rows
whose organisation column equals the organisation the registry maps the user to.

What an operator types never reaches SQL unescaped: the organisation id must be a plain
identifier, role names are generated here and passed as ``sql.Identifier``, values as query
parameters or ``sql.Literal``. The password never leaves this process in clear: PostgreSQL gets
a SCRAM-SHA-256 verifier computed here (datalake.scram), Redshift its documented MD5 form.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote, urlsplit

from datalake.config import WAREHOUSE_DATABASE, Settings, load_settings
from datalake.sqlfiles import read_sql, render_sql, statements
from datalake.tenant_tables import TENANT_TABLES

TENANT_ROLE = "datalake_tenant"

REDSHIFT_POLICIES = {"account": "datalake_tenant_account", "org_id": "datalake_tenant_org_id"}

ORG_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
USERNAME_PREFIX = "dl_"
USERNAME_RE = re.compile(r"dl_[0-9a-f]{12}")
CREATED_BY_MAX = 256
# Per credential (issue 17): a BI tool needs a few connections, not the server's whole pool.
CONNECTION_LIMIT = int(os.environ.get("DATALAKE_TENANT_CONNECTION_LIMIT", "5"))
# Spill to disk per query (the tenant cannot lift it) and the session defaults for honest clients.
TENANT_TEMP_FILE_LIMIT = os.environ.get("DATALAKE_TENANT_TEMP_FILE_LIMIT", "1GB")
TENANT_STATEMENT_TIMEOUT = os.environ.get("DATALAKE_TENANT_STATEMENT_TIMEOUT", "10min")
# The longest a tenant query may run: the local watchdog ends it, Redshift's WLM rule aborts it.
TENANT_QUERY_LIMIT_SECONDS = int(os.environ.get("DATALAKE_TENANT_QUERY_LIMIT_SECONDS", "600"))

PASSWORD_LENGTH = 32
# Redshift's rules: 8-64 printable ASCII characters, at least one upper case letter, one lower
# case letter and one digit, none of ' " \ / @ or space. The symbols used are the URL-unreserved
# ones, so a password also survives a connection URI, an ODBC string or a shell unquoted.
PASSWORD_SYMBOLS = "-_.~"
PASSWORD_ALPHABET = string.ascii_letters + string.digits + PASSWORD_SYMBOLS
_PASSWORD_FORBIDDEN = set("'\"\\/@ ")


class CredentialError(ValueError):
    """Bad input or an impossible request; nothing was changed."""


@dataclass(frozen=True)
class Credential:
    """A freshly generated credential. The password is only ever held here: it is not in the
    repr, the registry, or anything sent to the warehouse."""

    username: str
    password: str = field(repr=False)
    host: str
    port: int
    database: str
    org_id: str
    created_by: str | None = None
    created_at: datetime | None = None
    ssl_required: bool = False

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def uri(self) -> str:
        """A libpq URI for this credential (the password needs no escaping: see PASSWORD_SYMBOLS)."""
        ssl = "?sslmode=require" if self.ssl_required else ""
        return f"postgresql://{self.username}:{self.password}@{self.host}:{self.port}/{self.database}{ssl}"


@dataclass(frozen=True)
class CredentialRecord:
    """One registry row (there is no password in the registry)."""

    username: str
    org_id: str
    created_by: str | None
    created_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None = None
    sessions_terminated: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def status(self) -> str:
        return "active" if self.active else "revoked"


# --- input validation ---------------------------------------------------------------------


def validate_org_id(org_id) -> str:
    if not isinstance(org_id, str) or not ORG_ID_RE.fullmatch(org_id):
        shown = org_id if isinstance(org_id, str) and len(org_id) <= 80 else f"{str(org_id)[:80]}…"
        raise CredentialError(
            f"invalid organization id {shown!r}: use 1-64 letters, digits, '_' or '-', starting with a letter or digit"
        )
    return org_id


def validate_username(username) -> str:
    if not isinstance(username, str) or not USERNAME_RE.fullmatch(username):
        shown = username if isinstance(username, str) and len(username) <= 80 else f"{str(username)[:80]}…"
        raise CredentialError(
            f"unknown credential {shown!r}: datalake credentials are named dl_ followed by 12 hex digits "
            "(see `datalake credentials list`)"
        )
    return username


def validate_actor(name, what: str = "created-by") -> str | None:
    if name is None or name == "":
        return None
    if not isinstance(name, str) or len(name) > CREATED_BY_MAX or not name.isprintable():
        raise CredentialError(f"invalid {what} value: printable text of at most {CREATED_BY_MAX} characters")
    return name


# --- secrets ------------------------------------------------------------------------------


def new_username() -> str:
    """dl_ and 12 random hex digits. The organisation is deliberately not part of the name:
    role names are visible to every login (pg_roles), and would tell one tenant who the others are."""
    return USERNAME_PREFIX + secrets.token_hex(6)


def password_meets_rules(password: str) -> bool:
    return (
        8 <= len(password) <= 64
        and all(33 <= ord(ch) <= 126 for ch in password)
        and not (set(password) & _PASSWORD_FORBIDDEN)
        and any(ch.isupper() for ch in password)
        and any(ch.islower() for ch in password)
        and any(ch.isdigit() for ch in password)
    )


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password from the secrets module (~190 bits at 32 characters) that meets Redshift's
    rules, with a symbol, and starting with a letter (so it is never read as a command-line option)."""
    if not 8 <= length <= 64:
        raise ValueError("password length must be 8 to 64")
    while True:
        first = secrets.choice(string.ascii_letters)
        password = first + "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length - 1))
        if password_meets_rules(password) and any(ch in PASSWORD_SYMBOLS for ch in password):
            return password


def redshift_md5_password(password: str, username: str) -> str:
    """Redshift's pre-hashed password form: 'md5' + md5(password + username), hex."""
    return "md5" + hashlib.md5((password + username).encode("utf-8")).hexdigest()


# --- endpoint -----------------------------------------------------------------------------


def endpoint_of(settings: Settings) -> tuple[str, int, str]:
    """(host, port, database) of the configured warehouse, as a BI tool would reach it."""
    parts = urlsplit(settings.warehouse_uri)
    port = parts.port or 5439
    database = unquote(parts.path.lstrip("/")) or WAREHOUSE_DATABASE
    return parts.hostname or "127.0.0.1", port, database


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


def _composed(relative: str, **parts) -> list:
    """The statements of an include/sql file with {name} placeholders filled by psycopg.sql."""
    from psycopg import sql

    return [sql.SQL(statement).format(**parts) for statement in statements(read_sql(relative))]


def _record(row, sessions_terminated: int | None = None) -> CredentialRecord:
    return CredentialRecord(*row, sessions_terminated=sessions_terminated)


def _require_isolation(conn) -> None:
    ready = conn.execute(
        "SELECT to_regclass('datalake_ops.credentials') IS NOT NULL"
        " AND to_regprocedure('datalake_ops.current_org()') IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)",
        (TENANT_ROLE,),
    ).fetchone()[0]
    if not ready:
        raise CredentialError("tenant isolation is not set up in this warehouse: run `datalake init` first")
    problems = isolation_violations(conn)
    if problems:
        listed = "; ".join(f"{obj}: {problem}" for obj, problem in problems)
        raise CredentialError(f"refusing to issue a credential while tenant isolation is broken: {listed}")


# --- the API ------------------------------------------------------------------------------


def generate(org_id: str, created_by: str | None = None, *, settings: Settings | None = None) -> Credential:
    """Issue a new read-only credential for one organisation. The returned password is the only
    copy: show it once. Several active credentials per organisation are allowed."""
    org_id = validate_org_id(org_id)
    created_by = validate_actor(created_by)
    settings = settings or load_settings()
    if settings.warehouse_is_redshift:
        return _generate_redshift(org_id, created_by, settings)

    from psycopg import sql

    from datalake.scram import scram_sha256_verifier
    from datalake.warehouse import connect

    host, port, database = endpoint_of(settings)
    password = generate_password()
    with connect(settings) as conn:
        with conn.transaction():
            _require_isolation(conn)
            username = new_username()
            while conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %(u)s UNION ALL "
                "SELECT 1 FROM datalake_ops.credentials WHERE username = %(u)s",
                {"u": username},
            ).fetchone():
                username = new_username()
            verifier = scram_sha256_verifier(password)
            for statement in _composed(
                "credentials/create_user.sql",
                username=sql.Identifier(username),
                verifier=sql.Literal(verifier),
                connection_limit=sql.Literal(CONNECTION_LIMIT),
            ):
                conn.execute(statement)
            _apply_tenant_limits(conn, username)
            row = conn.execute(
                read_sql("credentials/registry_insert.sql"),
                {"username": username, "org_id": org_id, "created_by": created_by},
            ).fetchone()
            conn.execute(read_sql("credentials/verifier_insert.sql"), {"username": username, "verifier": verifier})
    record = _record(row)
    return Credential(
        username=username, password=password, host=host, port=port, database=database, org_id=org_id,
        created_by=record.created_by, created_at=record.created_at, ssl_required=False,
    )


def _apply_tenant_limits(conn, username: str) -> None:
    """Session defaults, and temp_file_limit when the superuser let this role set it (issue 17)."""
    from psycopg import sql

    for statement in _composed("credentials/tenant_defaults.sql", username=sql.Identifier(username),
                               statement_timeout=sql.Literal(TENANT_STATEMENT_TIMEOUT)):
        conn.execute(statement)
    if conn.execute("SELECT pg_catalog.has_parameter_privilege(current_user, 'temp_file_limit', 'SET')").fetchone()[0]:
        for statement in _composed("credentials/tenant_temp_file_limit.sql", username=sql.Identifier(username),
                                   temp_file_limit=sql.Literal(TENANT_TEMP_FILE_LIMIT)):
            conn.execute(statement)


def restore_tenant_passwords(conn) -> int:
    """Put back the verifier every active credential was issued with; returns how many.

    PostgreSQL lets any role change its own password (ALTER ROLE current_user PASSWORD ...),
    and no privilege or event trigger stops it. Credentials are rotated by `datalake
    credentials`, not by tenants, so the tenant watchdog calls this on every round: a password
    a tenant chose works until then, and never grants more than the credential already had.
    The admin may alter the roles it created (CREATEROLE gives it ADMIN OPTION on them)."""
    from psycopg import sql

    if not conn.execute("SELECT to_regclass('datalake_ops.credential_verifiers') IS NOT NULL").fetchone()[0]:
        return 0
    rows = conn.execute(read_sql("credentials/verifiers_active.sql")).fetchall()
    for username, verifier in rows:
        for statement in _composed("credentials/restore_password.sql", username=sql.Identifier(username),
                                   verifier=sql.Literal(verifier)):
            conn.execute(statement)
    return len(rows)


def list_credentials(org_id: str | None = None, *, settings: Settings | None = None) -> list[CredentialRecord]:
    """The registry (active and revoked credentials), newest first; never a password."""
    if org_id is not None:
        org_id = validate_org_id(org_id)
    settings = settings or load_settings()
    from datalake.warehouse import connect

    with connect(settings) as conn:
        exists = conn.execute("SELECT to_regclass('datalake_ops.credentials') IS NOT NULL").fetchone()[0]
        if not exists:
            raise CredentialError("no credential registry in this warehouse: run `datalake init` first")
        rows = conn.execute(read_sql("credentials/registry_list.sql"), {"org_id": org_id}).fetchall()
    return [_record(row) for row in rows]


def revoke(username: str, *, revoked_by: str | None = None, settings: Settings | None = None) -> CredentialRecord:
    """Revoke a credential: its login fails from now on and its open sessions are ended.
    An unknown or already revoked credential is an error, and nothing is changed."""
    username = validate_username(username)
    revoked_by = validate_actor(revoked_by, "revoked-by")
    settings = settings or load_settings()
    if settings.warehouse_is_redshift:
        return _revoke_redshift(username, revoked_by, settings)

    from psycopg import sql

    from datalake.warehouse import connect

    with connect(settings) as conn:
        with conn.transaction():
            if not conn.execute("SELECT to_regclass('datalake_ops.credentials') IS NOT NULL").fetchone()[0]:
                raise CredentialError(f"unknown credential {username!r}: no credential registry in this warehouse")
            row = conn.execute(read_sql("credentials/registry_lock.sql"), {"username": username}).fetchone()
            if row is None:
                raise CredentialError(f"unknown credential {username!r} (see `datalake credentials list`)")
            current = _record(row)
            if not current.active:
                raise CredentialError(f"credential {username!r} was already revoked at {current.revoked_at:%Y-%m-%d %H:%M:%S %Z}")
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (username,)).fetchone():
                for statement in _composed("credentials/revoke_user.sql", username=sql.Identifier(username)):
                    conn.execute(statement)
            row = conn.execute(
                read_sql("credentials/registry_revoke.sql"), {"username": username, "revoked_by": revoked_by}
            ).fetchone()
            if conn.execute("SELECT to_regclass('datalake_ops.credential_verifiers') IS NOT NULL").fetchone()[0]:
                conn.execute(read_sql("credentials/verifier_delete.sql"), {"username": username})
        # After the commit no new login can succeed; now end the sessions already open.
        terminated = 0
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (username,)).fetchone():
            with conn.transaction():
                for statement in _composed(
                    "credentials/terminate_sessions.sql",
                    username=sql.Identifier(username),
                    username_text=sql.Literal(username),
                ):
                    cur = conn.execute(statement)
                    if cur.description is not None:
                        terminated = cur.fetchone()[0]
    return _record(row, sessions_terminated=terminated)


# --- Redshift -----------------------------------------------------------------------------


_REDSHIFT_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,126}")


def redshift_identifier(name: str) -> str:
    """A validated, double-quoted Redshift identifier (for template values)."""
    if not isinstance(name, str) or not _REDSHIFT_IDENT_RE.fullmatch(name):
        raise CredentialError(f"invalid Redshift identifier {name!r}")
    return f'"{name}"'


def render_redshift_isolation(pipeline_user: str, database: str = WAREHOUSE_DATABASE) -> str:
    tables = [(table, column, REDSHIFT_POLICIES[column]) for table, column in TENANT_TABLES]
    policies = sorted({(column, REDSHIFT_POLICIES[column]) for _, column in TENANT_TABLES})
    return render_sql(
        "redshift/credentials/isolation.sql",
        pipeline_user=redshift_identifier(pipeline_user),
        database=redshift_identifier(database),
        tables=tables,
        policies=policies,
    )


def render_redshift_create_user(username: str, password: str) -> str:
    username = validate_username(username)
    if not password_meets_rules(password):
        raise CredentialError("the password does not meet Redshift's password rules")
    return render_sql(
        "redshift/credentials/create_user.sql",
        username=redshift_identifier(username),
        password_md5=redshift_md5_password(password, username),
        connection_limit=str(CONNECTION_LIMIT),
        statement_timeout_ms=str(TENANT_QUERY_LIMIT_SECONDS * 1000),
        session_timeout_s=str(max(60, TENANT_QUERY_LIMIT_SECONDS)),
    )


def render_redshift_wlm(limit_seconds: int | None = None, spill_mb: int = 10240, concurrency: int = 3,
                        memory_percent: int = 20) -> str:
    """The Redshift WLM configuration (the cluster's wlm_json_configuration parameter) with the
    tenants' queue first: every query of a datalake_tenant member lands there whatever query_group
    it sets (the first matching queue wins), and a query monitoring rule aborts it past the limit
    or past a spill size. Applied by the operator (docs/credentials.md), not by `datalake init`."""
    limit = int(limit_seconds if limit_seconds is not None else TENANT_QUERY_LIMIT_SECONDS)
    if not (1 <= limit <= 86400 and 1 <= spill_mb and 1 <= concurrency <= 50 and 1 <= memory_percent <= 100):
        raise CredentialError("WLM limits out of range")
    return render_sql("redshift/credentials/wlm.json", limit_seconds=limit, spill_mb=int(spill_mb),
                      tenant_concurrency=int(concurrency), tenant_memory_percent=int(memory_percent))


def render_redshift_revoke_user(username: str) -> str:
    username = validate_username(username)
    return render_sql(
        "redshift/credentials/revoke_user.sql", username=redshift_identifier(username), username_text=username
    )


def apply_redshift_isolation(conn, pipeline_user: str, database: str = WAREHOUSE_DATABASE) -> None:
    """Create the roles when missing, then apply include/sql/redshift/credentials/isolation.sql."""
    existing = {r[0] for r in conn.execute(read_sql("redshift/credentials/existing_roles.sql")).fetchall()}
    if not {"datalake_tenant", "datalake_pipeline"} <= existing:
        for statement in statements(read_sql("redshift/credentials/roles.sql")):
            role = statement.split()[-1]
            if role not in existing:
                conn.execute(statement)
    for statement in statements(render_redshift_isolation(pipeline_user, database)):
        conn.execute(statement)


def _generate_redshift(org_id: str, created_by: str | None, settings: Settings) -> Credential:
    from datalake.warehouse import connect

    host, port, database = endpoint_of(settings)
    password = generate_password()
    username = new_username()
    with connect(settings) as conn:
        with conn.transaction():
            for statement in statements(render_redshift_create_user(username, password)):
                conn.execute(statement)
            conn.execute(
                read_sql("redshift/credentials/registry_insert.sql"),
                {"username": username, "org_id": org_id, "created_by": created_by},
            )
    return Credential(
        username=username, password=password, host=host, port=port, database=database, org_id=org_id,
        created_by=created_by, ssl_required=True,
    )


def _revoke_redshift(username: str, revoked_by: str | None, settings: Settings) -> CredentialRecord:
    from datalake.warehouse import connect

    with connect(settings) as conn:
        with conn.transaction():
            row = conn.execute(read_sql("redshift/credentials/registry_get.sql"), {"username": username}).fetchone()
            if row is None:
                raise CredentialError(f"unknown credential {username!r} (see `datalake credentials list`)")
            if row[4] is not None:
                raise CredentialError(f"credential {username!r} was already revoked at {row[4]:%Y-%m-%d %H:%M:%S}")
            conn.execute(read_sql("redshift/credentials/registry_revoke.sql"), {"username": username, "revoked_by": revoked_by})
            for statement in statements(render_redshift_revoke_user(username)):
                conn.execute(statement)
            row = conn.execute(read_sql("redshift/credentials/registry_get.sql"), {"username": username}).fetchone()
    return _record(row)


# --- output for the `datalake credentials` command -----------------------------------------


def ssl_note(credential: Credential) -> str:
    if credential.ssl_required:
        return ("SSL: required. Connect with SSL on (libpq sslmode=require, or verify-full with the Amazon "
                "Redshift CA bundle); BI tools: tick 'Use SSL' / 'Require SSL'.")
    return ("SSL: the local stand-in listens on 127.0.0.1 only and has no TLS certificate (use sslmode=disable "
            "or prefer); against Redshift the same credential fields are used with SSL required.")


def format_generated(credential: Credential, fmt: str = "text") -> str:
    """What `datalake credentials generate` prints: everything a BI tool needs, the password once."""
    fields = {
        "username": credential.username,
        "password": credential.password,
        "endpoint": credential.endpoint,
        "host": credential.host,
        "port": credential.port,
        "database": credential.database,
        "organization": credential.org_id,
        "created_by": credential.created_by,
        "created_at": credential.created_at.isoformat() if credential.created_at else None,
        "ssl_required": credential.ssl_required,
    }
    if fmt == "json":
        import json

        return json.dumps(fields, indent=2) + "\n"
    lines = [f"{key + ':':<14}{'' if value is None else value}" for key, value in fields.items() if key != "ssl_required"]
    lines += [
        "",
        "The password is shown this once and is stored nowhere: keep it in a password manager now.",
        ssl_note(credential),
        "Revoke with: datalake credentials revoke " + credential.username,
    ]
    return "\n".join(lines) + "\n"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if value else ""


def format_records(records: list[CredentialRecord], fmt: str = "table") -> str:
    """What `datalake credentials list` prints (no password: there is none to print)."""
    columns = ("username", "organization", "status", "created_by", "created_at", "revoked_at", "revoked_by")
    rows = [
        (r.username, r.org_id, r.status, r.created_by or "", _when(r.created_at), _when(r.revoked_at), r.revoked_by or "")
        for r in records
    ]
    if fmt == "json":
        import json

        return json.dumps([dict(zip(columns, row)) for row in rows], indent=2) + "\n"
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buf.getvalue()
    from tabulate import tabulate

    active = sum(1 for r in records if r.active)
    table = tabulate(rows, headers=columns, tablefmt="psql", disable_numparse=True)
    return table + f"\n({len(records)} credentials, {active} active)\n"


def format_revoked(record: CredentialRecord) -> str:
    ended = record.sessions_terminated
    sessions = "" if ended is None else f"; {ended} open session{'s' if ended != 1 else ''} ended"
    return f"revoked {record.username} (organization {record.org_id}){sessions}\n"
