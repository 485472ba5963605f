"""Users and ASSUMEROLE.

* CREATE USER / ALTER USER with Redshift's options: PASSWORD 'md5<hex>' (md5 of password +
  user name, the same form PostgreSQL stores), 'sha256|<plain text>' and plain text are
  accepted; PASSWORD DISABLE removes the password (no password login); CREATEUSER /
  NOCREATEUSER are SUPERUSER / NOSUPERUSER; SYSLOG ACCESS, SESSION TIMEOUT are accepted and not
  modelled; CONNECTION LIMIT passes on.
* GRANT / REVOKE ASSUMEROLE ON {'arn' | ALL} TO|FROM {user | ROLE r | PUBLIC} FOR {ALL | COPY |
  UNLOAD | ...}: kept in redshift_double.assumerole, PUBLIC holds ALL/ALL until revoked;
  COPY and UNLOAD with IAM_ROLE are refused for a user without a matching grant.
"""

from __future__ import annotations

import asyncio
import re

from datalake_dev.redshift_double import catalog
from datalake_dev.redshift_double.session import UpstreamError
from datalake_dev.redshift_double.statements import Refused

_IGNORED = re.compile(
    r"\b(SYSLOG\s+ACCESS\s+(RESTRICTED|UNRESTRICTED)|SESSION\s+TIMEOUT\s+\d+|RESET\s+SESSION\s+TIMEOUT"
    r"|EXTERNALID\s+'[^']*')",
    re.IGNORECASE,
)


async def create_or_alter_user(session, statement) -> str:
    sql = statement.sql
    sql = _IGNORED.sub("", sql)
    sql = re.sub(r"\bNOCREATEUSER\b", "NOSUPERUSER", sql, flags=re.IGNORECASE)
    sql = re.sub(r"\bCREATEUSER\b", "SUPERUSER", sql, flags=re.IGNORECASE)
    sql = re.sub(r"\bPASSWORD\s+DISABLE\b", "PASSWORD NULL", sql, flags=re.IGNORECASE)
    sql = re.sub(r"PASSWORD\s+'sha256\|([^'|]*)'", r"PASSWORD '\1'", sql, flags=re.IGNORECASE)
    if re.search(r"PASSWORD\s+'sha256\|[^']*\|", sql, flags=re.IGNORECASE):
        raise Refused(
            "the double cannot take a salted 'sha256|digest|salt' password hash (PostgreSQL has no "
            "such verifier): use md5 or plain text"
        )
    if statement.words[0] == "CREATE":
        sql = re.sub(r"^\s*CREATE\s+USER\b", "CREATE ROLE", sql, flags=re.IGNORECASE) + " LOGIN"
        if not re.search(r"\bPASSWORD\b", sql, flags=re.IGNORECASE):
            raise Refused("CREATE USER needs PASSWORD (or PASSWORD DISABLE) on Amazon Redshift")
    else:
        sql = re.sub(r"^\s*ALTER\s+USER\b", "ALTER ROLE", sql, flags=re.IGNORECASE)
        sql = _keep_builtins_on_search_path(sql)
    _, _, tag = await session.rows(sql)
    return tag.replace("ROLE", "USER")


def _keep_builtins_on_search_path(sql: str) -> str:
    """ALTER USER u SET search_path TO ...: Redshift's own functions (json_extract_path_text on
    varchar, ...) are built in and found whatever the path; here they live in schema
    redshift_compat, which the database's default path names and a user's own path would hide,
    so it is appended to the user's path."""
    m = re.search(r"\bSET\s+search_path\s*(TO|=)\s*(?P<path>[^;]+?)\s*;?\s*$", sql, re.I)
    if m is None or "redshift_compat" in m.group("path").lower():
        return sql
    return sql[: m.end("path")] + ", redshift_compat" + sql[m.end("path") :]


async def assumerole(session, statement) -> str:
    words = statement.words
    grant = words[0] == "GRANT"
    m = re.search(
        r"ASSUMEROLE\s+ON\s+(?P<roles>ALL|'[^']*'(\s*,\s*'[^']*')*)\s+(TO|FROM)\s+(?P<who>.+?)\s+FOR\s+"
        r"(?P<cmds>[\w\s,]+?)\s*;?\s*$",
        statement.sql,
        re.IGNORECASE | re.DOTALL,
    )
    if m is None:
        raise Refused(
            "cannot read this ASSUMEROLE grant "
            "(GRANT ASSUMEROLE ON 'arn'|ALL TO who FOR ALL|COPY|UNLOAD)"
        )
    roles = (
        ["ALL"] if m.group("roles").upper() == "ALL" else re.findall(r"'([^']*)'", m.group("roles"))
    )
    who = [
        re.sub(r"^ROLE\s+", "", w.strip(), flags=re.IGNORECASE).strip('"')
        for w in m.group("who").split(",")
    ]
    who = ["PUBLIC" if w.upper() == "PUBLIC" else w.lower() for w in who]
    cmds = [c.strip().upper() for c in m.group("cmds").split(",")]
    if not await _may_grant(session):
        raise UpstreamError(
            {
                "S": "ERROR",
                "C": "42501",
                "M": "permission denied: only a superuser may GRANT or REVOKE ASSUMEROLE",
            }
        )

    def apply():
        with catalog.admin(session.double.upstream_uri) as conn:
            for grantee in who:
                for role in roles:
                    for cmd in cmds:
                        if grant:
                            conn.execute(
                                "INSERT INTO redshift_double.assumerole VALUES (%s, %s, %s) "
                                "ON CONFLICT DO NOTHING",
                                (grantee, role, cmd),
                            )
                        else:
                            conn.execute(
                                "DELETE FROM redshift_double.assumerole WHERE grantee = %s AND "
                                "(%s = 'ALL' OR iam_role = %s) AND (%s = 'ALL' OR command = %s)",
                                (grantee, role, role, cmd, cmd),
                            )

    await asyncio.to_thread(apply)
    return "GRANT" if grant else "REVOKE"


async def _may_grant(session) -> bool:
    _, rows, _ = await session.rows(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = session_user"
    )
    return bool(rows) and rows[0][0] == "t"


async def check_assumerole(session, iam_role: str, command: str) -> None:
    """Refuse COPY / UNLOAD with IAM_ROLE for a user holding no matching ASSUMEROLE grant."""

    def allowed() -> bool:
        with catalog.admin(session.double.upstream_uri) as conn:
            return conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %(u)s AND rolsuper) "
                "OR EXISTS ("
                " SELECT 1 FROM redshift_double.assumerole g"
                " WHERE g.iam_role IN ('ALL', %(r)s) AND g.command IN ('ALL', %(c)s)"
                " AND (g.grantee = 'PUBLIC' OR g.grantee IN ("
                "   SELECT rolname FROM pg_roles WHERE pg_has_role(%(u)s, oid, 'USAGE'))))",
                {"u": session.user, "r": iam_role, "c": command},
            ).fetchone()[0]

    if not await asyncio.to_thread(allowed):
        raise UpstreamError(
            {
                "S": "ERROR",
                "C": "42501",
                "M": (
                    f"User {session.user} is not authorized to assume IAM Role {iam_role} "
                    f"for {command} "
                    "(no ASSUMEROLE privilege)"
                ),
            }
        )
