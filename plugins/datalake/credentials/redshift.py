"""Tenant credentials on Amazon Redshift: isolation (include/sql/redshift/credentials/), the
users' SQL rendered from templates with validated identifiers, the WLM rule, and issuing and
revoking users."""

from __future__ import annotations

import hashlib
import json
import re

from datalake.config import WAREHOUSE_DATABASE, Settings
from datalake.credentials.postgres import record_of
from datalake.credentials.rules import (
    CONNECTION_LIMIT,
    TENANT_QUERY_LIMIT_SECONDS,
    Credential,
    CredentialError,
    CredentialRecord,
    endpoint_of,
    generate_password,
    new_username,
    password_meets_rules,
    validate_username,
)
from datalake.sqlfiles import read_sql, render_sql, statements
from datalake.tenant_tables import TENANT_TABLES

REDSHIFT_POLICIES = {"account": "datalake_tenant_account", "org_id": "datalake_tenant_org_id"}


def redshift_md5_password(password: str, username: str) -> str:
    """Redshift's pre-hashed password form: 'md5' + md5(password + username), hex."""
    return "md5" + hashlib.md5((password + username).encode("utf-8")).hexdigest()


_REDSHIFT_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,126}")
# Users Redshift creates for IAM identities: IAM:<user> or IAMR:<role> (Serverless and
# GetClusterCredentials with IAM), with the characters IAM names may hold.
_REDSHIFT_IAM_USER_RE = re.compile(r"IAMR?:[A-Za-z0-9_+=,.@-]{1,122}")
_IAM_ROLE_ARN_RE = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]{1,512}")


def redshift_identifier(name: str) -> str:
    """A validated, double-quoted Redshift identifier (for template values): a plain name or an
    IAM user name (IAMR:etl), neither of which can hold a double quote."""
    plain_or_iam = isinstance(name, str) and (
        _REDSHIFT_IDENT_RE.fullmatch(name) or _REDSHIFT_IAM_USER_RE.fullmatch(name)
    )
    if not plain_or_iam:
        raise CredentialError(f"invalid Redshift identifier {name!r}")
    return f'"{name}"'


def iam_roles_clause(iam_role: str | None) -> str:
    """What GRANT ASSUMEROLE ON names: the pipeline's IAM role (a validated ARN), or ALL roles
    attached to the cluster when none is configured."""
    if iam_role is None:
        return "ALL"
    if not isinstance(iam_role, str) or not _IAM_ROLE_ARN_RE.fullmatch(iam_role):
        raise CredentialError(f"invalid IAM role ARN {iam_role!r} (REDSHIFT_IAM_ROLE)")
    return f"'{iam_role}'"


def render_redshift_isolation(
    pipeline_user: str, database: str = WAREHOUSE_DATABASE, iam_role: str | None = None
) -> str:
    tables = [(table, column, REDSHIFT_POLICIES[column]) for table, column in TENANT_TABLES]
    policies = sorted({(column, REDSHIFT_POLICIES[column]) for _, column in TENANT_TABLES})
    return render_sql(
        "redshift/credentials/isolation.sql",
        pipeline_user=redshift_identifier(pipeline_user),
        database=redshift_identifier(database),
        iam_roles=iam_roles_clause(iam_role),
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


WLM_PRIORITIES = ("lowest", "low", "normal", "high", "highest")


def render_redshift_wlm(
    limit_seconds: int | None = None,
    spill_mb: int = 10240,
    priority: str = "low",
    *,
    serverless: bool = False,
) -> str:
    """The cluster's wlm_json_configuration: Automatic WLM (memory and concurrency stay
    Redshift's to manage) with the tenants' queue first, at a lower priority. Every query of a
    datalake_tenant member lands there whatever query_group it sets (the first matching queue
    wins), and query monitoring rules abort it past the time limit or past a spill size.

    Automatic WLM, not manual: manual queues must give memory_percent_to_use to all queues or
    to none, and a manual configuration switches the cluster's Auto WLM off for everyone. A
    Serverless workgroup has no WLM configuration and no per-role queue: its query limits apply
    to every user, the pipeline's included (docs/credentials.md), so nothing is rendered.
    Applied by the operator (docs/credentials.md), not by `datalake init`."""
    if serverless:
        raise CredentialError(
            "Redshift Serverless has no WLM configuration and no per-role queues: set the "
            "workgroup's query limits instead (docs/credentials.md, 'Redshift Serverless')"
        )
    limit = int(limit_seconds if limit_seconds is not None else TENANT_QUERY_LIMIT_SECONDS)
    if not (1 <= limit <= 86400 and 1 <= spill_mb) or priority not in WLM_PRIORITIES:
        raise CredentialError("WLM limits out of range")
    rendered = render_sql(
        "redshift/credentials/wlm.json",
        limit_seconds=limit,
        spill_mb=int(spill_mb),
        tenant_priority=priority,
    )
    problems = wlm_problems(json.loads(rendered))
    if problems:  # the template was edited into something Redshift would refuse or reinterpret
        raise CredentialError("; ".join(problems))
    return rendered


def wlm_problems(queues: list[dict]) -> list[str]:
    """What Redshift would refuse or silently change in a wlm_json_configuration."""
    problems = []
    user_queues = [q for q in queues if "short_query_queue" not in q]
    with_memory = [q.get("name", "?") for q in user_queues if "memory_percent_to_use" in q]
    if with_memory and len(with_memory) != len(user_queues):
        problems.append(
            f"memory_percent_to_use on some queues only ({', '.join(with_memory)}): all or none"
        )
    auto = {bool(q.get("auto_wlm")) for q in user_queues}
    if len(auto) > 1:
        problems.append("auto_wlm on some queues only: Automatic and manual WLM do not mix")
    manual_keys = ("memory_percent_to_use", "query_concurrency")
    if True in auto and any(k in q for q in user_queues for k in manual_keys):
        problems.append("memory_percent_to_use / query_concurrency are manual WLM settings")
    if user_queues and (user_queues[-1].get("user_role") or user_queues[-1].get("query_group")):
        problems.append("the last queue is the default queue and routes by nothing")
    return problems


def render_redshift_revoke_user(username: str) -> str:
    username = validate_username(username)
    return render_sql(
        "redshift/credentials/revoke_user.sql", username=redshift_identifier(username)
    )


def apply_redshift_isolation(conn, iam_role: str | None = None) -> None:
    """Create the roles when missing, then apply include/sql/redshift/credentials/isolation.sql
    for the user and database this session really is (not names read from the URI)."""
    identity = conn.execute(read_sql("redshift/credentials/session_identity.sql")).fetchone()
    pipeline_user, database = identity
    existing = {
        r[0] for r in conn.execute(read_sql("redshift/credentials/existing_roles.sql")).fetchall()
    }
    if not {"datalake_tenant", "datalake_pipeline"} <= existing:
        for statement in statements(read_sql("redshift/credentials/roles.sql")):
            role = statement.split()[-1]
            if role not in existing:
                conn.execute(statement)
    for statement in statements(render_redshift_isolation(pipeline_user, database, iam_role)):
        conn.execute(statement)


def generate_redshift(org_id: str, created_by: str | None, settings: Settings) -> Credential:
    from datalake.typed.refresh import open_typed_schema
    from datalake.warehouse import connect

    host, port, database = endpoint_of(settings)
    password = generate_password()
    username = new_username()
    with connect(settings) as conn:
        with conn.transaction():
            for statement in statements(render_redshift_create_user(username, password)):
                conn.execute(statement)
            open_typed_schema(conn, org_id, username)
            conn.execute(
                read_sql("redshift/credentials/registry_insert.sql"),
                {"username": username, "org_id": org_id, "created_by": created_by},
            )
    return Credential(
        username=username,
        password=password,
        host=host,
        port=port,
        database=database,
        org_id=org_id,
        created_by=created_by,
        ssl_required=True,
    )


def revoke_redshift(username: str, revoked_by: str | None, settings: Settings) -> CredentialRecord:
    from datalake.warehouse import connect

    with connect(settings) as conn:
        with conn.transaction():
            row = conn.execute(
                read_sql("redshift/credentials/registry_get.sql"), {"username": username}
            ).fetchone()
            if row is None:
                raise CredentialError(
                    f"unknown credential {username!r} (see `datalake credentials list`)"
                )
            if row[4] is not None:
                raise CredentialError(
                    f"credential {username!r} was already revoked at {row[4]:%Y-%m-%d %H:%M:%S}"
                )
            conn.execute(
                read_sql("redshift/credentials/registry_revoke.sql"),
                {"username": username, "revoked_by": revoked_by},
            )
            for statement in statements(render_redshift_revoke_user(username)):
                conn.execute(statement)
            row = conn.execute(
                read_sql("redshift/credentials/registry_get.sql"), {"username": username}
            ).fetchone()
        # Committed: no login succeeds and the sessions already open lose the tenant role (and
        # with the registry row revoked, the policies show them no row). Now end those sessions.
        terminated, note = end_sessions(conn, username, settings.warehouse_is_serverless)
    return record_of(row, sessions_terminated=terminated, sessions_note=note)


def end_sessions(conn, username: str, serverless: bool) -> tuple[int | None, str | None]:
    """(sessions ended, None), or (None, why not) when the cluster would not list or end them:
    the revoke stands either way, and an idle session ends at the user's SESSION TIMEOUT."""
    import psycopg

    listing = "open_sessions_serverless" if serverless else "open_sessions"
    try:
        with conn.transaction():
            listed = conn.execute(
                read_sql(f"redshift/credentials/{listing}.sql"), {"username": username}
            ).fetchall()
            pids = [int(r[0]) for r in listed]
            for pid in pids:
                conn.execute(read_sql("redshift/credentials/terminate_session.sql"), {"pid": pid})
    except psycopg.Error as exc:
        reason = (exc.diag.message_primary or str(exc)).strip()
        return None, (
            f"open sessions were not ended ({reason}); they lost the tenant role and "
            "see no rows, and end at the credential's session timeout"
        )
    return len(pids), None
