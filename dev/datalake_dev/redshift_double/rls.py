"""Redshift row-level security on PostgreSQL's.

Redshift: policies are objects of their own (CREATE RLS POLICY p WITH (col type) AS t USING
(...)), attached to tables for users and roles (ATTACH RLS POLICY p ON tbl TO ROLE r), and
take effect when the table has ROW LEVEL SECURITY ON. They filter SELECT, UPDATE and DELETE
(and UNLOAD, a SELECT), never INSERT or COPY; several policies reaching one user combine with
AND; a user no policy reaches sees no rows; IGNORE RLS and superusers see everything.

PostgreSQL equivalent built here, per table (names rsd_*), rebuilt from the double's catalog
whenever an attachment, ROW LEVEL SECURITY or IGNORE RLS changes (the catalog stays private:
the policies carry the role names, nothing a tenant could read or call):
* rsd_insert: permissive FOR INSERT TO PUBLIC WITH CHECK (true): INSERT/COPY never filtered;
* rsd_reach_<cmd>: permissive FOR SELECT/UPDATE/DELETE TO the grantees of the table's
  attachments and of IGNORE RLS, USING (true): a user no policy reaches sees nothing;
* rsd_<n>_<cmd>: restrictive, TO the attachment's grantee, USING (IGNORE RLS granted, or the
  policy's predicate): policies combine with AND;
* FORCE ROW LEVEL SECURITY, so the table's owner is filtered too (PostgreSQL superusers
  bypass, like Redshift's).
The predicate runs in a SECURITY DEFINER function of the policy (its owner reads the tables
the policy reads, as GRANT ... TO RLS POLICY allows on Redshift), with current_user read as
the session's user.
"""

from __future__ import annotations

import asyncio
import re

from datalake_dev.redshift_double import catalog
from datalake_dev.redshift_double.statements import Refused

COMMANDS = ("SELECT", "UPDATE", "DELETE")
_NAME = r"(\"[^\"]+\"|[\w$]+)"
_QUALIFIED = rf"{_NAME}(\.{_NAME})*"


def _ident(name: str) -> str:
    return name.strip('"') if name.startswith('"') else name.lower()


async def run(session, statement) -> str:
    import sqlparse

    # A statement of a SQL file arrives with the comments above it: the grammars below read
    # from the statement's first word.
    sql = sqlparse.format(statement.sql, strip_comments=True).strip().rstrip(";").strip()
    words = statement.words
    if words[:3] == ["CREATE", "RLS", "POLICY"]:
        return await _create(session, sql)
    if words[:3] == ["DROP", "RLS", "POLICY"]:
        return await _drop(session, sql)
    if words[:3] in (["ATTACH", "RLS", "POLICY"], ["DETACH", "RLS", "POLICY"]):
        return await _attach(session, sql, attach=words[0] == "ATTACH")
    if words[0] == "ALTER":
        return await _row_level_security(session, sql)
    if words[0] in ("GRANT", "REVOKE") and "IGNORE" in words:
        return await _ignore(session, sql, grant=words[0] == "GRANT")
    if words[0] in ("GRANT", "REVOKE") and (
        "EXPLAIN" in words or words[-3:-1] == ["RLS", "POLICY"] or "POLICY" in words
    ):
        # EXPLAIN RLS is not modelled (PostgreSQL's EXPLAIN shows policies to whoever may
        # EXPLAIN); the policy functions run with their owner's rights, so GRANT ... TO RLS
        # POLICY has nothing left to grant.
        return words[0]
    raise Refused(f"cannot read this RLS statement: {sql[:80]}")


def _admin(session):
    return catalog.admin(session.double.upstream_uri)


async def _create(session, sql: str) -> str:
    m = re.match(
        rf"CREATE\s+RLS\s+POLICY\s+(?P<name>{_NAME})\s+(WITH\s*\((?P<cols>.*?)\)\s*(AS\s+(?P<alias>{_NAME})\s+)?)?"
        r"USING\s*\((?P<pred>.*)\)\s*$",
        sql,
        re.IGNORECASE | re.DOTALL,
    )
    if m is None:
        raise Refused("cannot read this CREATE RLS POLICY")
    name = _ident(m.group("name"))
    columns = [c.strip() for c in (m.group("cols") or "").split(",") if c.strip()]
    alias = _ident(m.group("alias")) if m.group("alias") else None
    predicate = m.group("pred")
    body = predicate
    args = []
    for index, column in enumerate(columns, start=1):
        col_name, col_type = column.split(None, 1)
        col_name = _ident(col_name)
        args.append(f"{col_name}_ {col_type}")
        pattern = (
            rf"\b{re.escape(alias)}\.{re.escape(col_name)}\b"
            if alias
            else rf"(?<![\w.]){re.escape(col_name)}\b"
        )
        body = re.sub(pattern, f"${index}", body, flags=re.IGNORECASE)
    body = re.sub(r"\bcurrent_user\b", "session_user", body, flags=re.IGNORECASE)

    # The function is created on the client's session: the tables its predicate reads may
    # exist only in the client's open transaction (datalake init creates and uses them in one).
    signature = ", ".join(a.split(None, 1)[1] for a in args)
    await _must(
        session,
        f"CREATE FUNCTION redshift_double.rls_{name}({', '.join(args)}) RETURNS boolean "
        f"LANGUAGE sql STABLE SECURITY DEFINER AS $rsd$ SELECT {body} $rsd$",
    )
    await _must(
        session, f"GRANT EXECUTE ON FUNCTION redshift_double.rls_{name}({signature}) TO PUBLIC"
    )

    def apply():
        with _admin(session) as conn:
            conn.execute(
                "INSERT INTO redshift_double.rls_policy VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE "
                "SET columns = EXCLUDED.columns, alias = EXCLUDED.alias, "
                "predicate = EXCLUDED.predicate",
                (name, ",".join(_ident(c.split(None, 1)[0]) for c in columns), alias, predicate),
            )

    await asyncio.to_thread(apply)
    return "CREATE RLS POLICY"


async def _drop(session, sql: str) -> str:
    m = re.match(
        rf"DROP\s+RLS\s+POLICY\s+(?P<ifexists>IF\s+EXISTS\s+)?(?P<name>{_NAME})\s*(CASCADE|RESTRICT)?\s*$",
        sql,
        re.IGNORECASE,
    )
    if m is None:
        raise Refused("cannot read this DROP RLS POLICY")
    name = _ident(m.group("name"))
    cascade = sql.upper().rstrip().endswith("CASCADE")

    def lookup():
        with _admin(session) as conn:
            exists = conn.execute(
                "SELECT columns FROM redshift_double.rls_policy WHERE name = %s", (name,)
            ).fetchone()
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT table_oid::regclass::text FROM redshift_double.rls_attachment "
                    "WHERE policy = %s",
                    (name,),
                ).fetchall()
            ]
            return exists, tables

    exists, tables = await asyncio.to_thread(lookup)
    if exists is None:
        if m.group("ifexists"):
            return "DROP RLS POLICY"
        raise Refused(f"RLS policy {name} does not exist")
    if tables and not cascade:
        raise Refused(
            f"RLS policy {name} is attached to {', '.join(tables)}: DETACH it first or use CASCADE"
        )
    for table in tables:
        await _sync(session, table, drop_policy=name)

    for (signature,) in await _must(
        session,
        "SELECT oid::regprocedure::text FROM pg_proc WHERE proname = "
        f"'rls_{name}' AND pronamespace = 'redshift_double'::regnamespace",
    ):
        await _must(session, f"DROP FUNCTION {signature}")

    def apply():
        with _admin(session) as conn, conn.transaction():
            conn.execute("DELETE FROM redshift_double.rls_attachment WHERE policy = %s", (name,))
            conn.execute("DELETE FROM redshift_double.rls_policy WHERE name = %s", (name,))

    await asyncio.to_thread(apply)
    return "DROP RLS POLICY"


async def _attach(session, sql: str, attach: bool) -> str:
    m = re.match(
        rf"(ATTACH|DETACH)\s+RLS\s+POLICY\s+(?P<name>{_NAME})\s+ON\s+(TABLE\s+)?(?P<tables>.+?)\s+"
        r"(TO|FROM)\s+(?P<who>.+)$",
        sql,
        re.IGNORECASE | re.DOTALL,
    )
    if m is None:
        raise Refused("cannot read this ATTACH/DETACH RLS POLICY")
    name = _ident(m.group("name"))
    tables = [t.strip() for t in m.group("tables").split(",")]
    who = [
        re.sub(r"^ROLE\s+", "", w.strip(), flags=re.IGNORECASE) for w in m.group("who").split(",")
    ]
    who = ["PUBLIC" if w.upper() == "PUBLIC" else _ident(w) for w in who]
    oids = []
    for table in tables:
        _, rows, _ = await session.rows(
            f"SELECT '{table.replace(chr(39), chr(39) * 2)}'::regclass::oid"
        )
        oids.append(int(rows[0][0]))

    def apply():
        with _admin(session) as conn, conn.transaction():
            if (
                conn.execute(
                    "SELECT 1 FROM redshift_double.rls_policy WHERE name = %s", (name,)
                ).fetchone()
                is None
            ):
                raise Refused(f"RLS policy {name} does not exist")
            for oid in oids:
                for grantee in who:
                    if attach:
                        conn.execute(
                            "INSERT INTO redshift_double.rls_attachment VALUES (%s, %s, %s) "
                            "ON CONFLICT DO NOTHING",
                            (name, oid, grantee),
                        )
                    else:
                        conn.execute(
                            "DELETE FROM redshift_double.rls_attachment WHERE policy = %s AND "
                            "table_oid = %s AND grantee = %s",
                            (name, oid, grantee),
                        )

    await asyncio.to_thread(apply)
    for table in tables:
        await _sync(session, table)
    return "ATTACH RLS POLICY" if attach else "DETACH RLS POLICY"


async def _row_level_security(session, sql: str) -> str:
    m = re.match(
        rf"ALTER\s+TABLE\s+(?P<table>{_QUALIFIED})\s+ROW\s+LEVEL\s+SECURITY\s+(?P<state>ON|OFF)\b",
        sql,
        re.IGNORECASE,
    )
    if m is None:
        raise Refused("cannot read this ALTER TABLE ... ROW LEVEL SECURITY")
    table = m.group("table")
    if m.group("state").upper() == "ON":
        await _must(session, f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        await _must(session, f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        await _sync(session, table)
    else:
        await _must(session, f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    return "ALTER TABLE"


async def _ignore(session, sql: str, grant: bool) -> str:
    m = re.match(
        r"(GRANT|REVOKE)\s+IGNORE\s+RLS\s+(TO|FROM)\s+(?P<who>.+)$", sql, re.IGNORECASE | re.DOTALL
    )
    if m is None:
        raise Refused("cannot read this GRANT/REVOKE IGNORE RLS")
    who = [
        re.sub(r"^ROLE\s+", "", w.strip(), flags=re.IGNORECASE) for w in m.group("who").split(",")
    ]
    who = ["PUBLIC" if w.upper() == "PUBLIC" else _ident(w) for w in who]

    def apply():
        with _admin(session) as conn:
            for grantee in who:
                if grant:
                    conn.execute(
                        "INSERT INTO redshift_double.ignore_rls VALUES (%s) ON CONFLICT DO NOTHING",
                        (grantee,),
                    )
                else:
                    conn.execute(
                        "DELETE FROM redshift_double.ignore_rls WHERE grantee = %s", (grantee,)
                    )

    await asyncio.to_thread(apply)
    for table in await _managed_tables(session):
        await _sync(session, table)
    return "GRANT" if grant else "REVOKE"


async def _managed_tables(session) -> list[str]:
    rows = await _must(
        session,
        "SELECT DISTINCT quote_ident(schemaname) || '.' || quote_ident(tablename) "
        "FROM pg_policies WHERE policyname = 'rsd_insert'",
    )
    return [r[0] for r in rows]


async def _must(session, sql: str):
    from datalake_dev.redshift_double.session import UpstreamError

    columns, rows, tag = await session.rows(sql)
    if tag is None:
        raise UpstreamError({"S": "ERROR", "C": "XX000", "M": f"failed: {sql}"})
    return rows


async def _sync(session, table: str, drop_policy: str | None = None) -> None:
    """(Re)create the table's rsd_* PostgreSQL policies from the catalog, in the client's
    session."""
    literal = table.replace("'", "''")
    existing = await _must(
        session,
        f"SELECT policyname FROM pg_policies p JOIN pg_class c ON c.relname = p.tablename "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = p.schemaname "
        f"WHERE c.oid = '{literal}'::regclass AND policyname LIKE 'rsd\\_%'",
    )
    for (policy,) in existing:
        await _must(session, f'DROP POLICY "{policy}" ON {table}')
    oid = (await _must(session, f"SELECT '{literal}'::regclass::oid"))[0][0]

    def catalog_rows():
        with _admin(session) as conn:
            attached = conn.execute(
                "SELECT a.policy, a.grantee, p.columns FROM redshift_double.rls_attachment a "
                "JOIN redshift_double.rls_policy p ON p.name = a.policy "
                "WHERE a.table_oid = %s AND a.policy <> %s "
                "ORDER BY 1, 2",
                (int(oid), drop_policy or ""),
            ).fetchall()
            ignoring = [
                r[0]
                for r in conn.execute("SELECT grantee FROM redshift_double.ignore_rls ORDER BY 1")
            ]
            return attached, ignoring

    rows, ignoring = await asyncio.to_thread(catalog_rows)
    await _must(
        session, f"CREATE POLICY rsd_insert ON {table} FOR INSERT TO PUBLIC WITH CHECK (true)"
    )
    reached = sorted({g for _, g, _ in rows} | set(ignoring))
    if reached:
        targets = ", ".join(_role(g) for g in reached)
        for cmd in COMMANDS:
            await _must(
                session,
                f"CREATE POLICY rsd_reach_{cmd.lower()} ON {table} FOR {cmd} TO {targets} "
                "USING (true)",
            )
    ignored = (
        " OR ".join(
            "true" if g == "PUBLIC" else f"pg_has_role(session_user, {_literal(g)}, 'USAGE')"
            for g in ignoring
        )
        or "false"
    )
    for number, (policy, grantee, columns) in enumerate(rows):
        args = ", ".join(f'"{c}"' for c in columns.split(",") if c)
        for cmd in COMMANDS:
            await _must(
                session,
                f"CREATE POLICY rsd_{number}_{cmd.lower()} ON {table} AS RESTRICTIVE FOR {cmd} "
                f"TO {_role(grantee)} USING (({ignored}) OR redshift_double.rls_{policy}({args}))",
            )


def _role(grantee: str) -> str:
    return "PUBLIC" if grantee == "PUBLIC" else '"' + grantee.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
