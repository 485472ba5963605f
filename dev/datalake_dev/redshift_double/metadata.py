"""Metadata security: ``ALTER SYSTEM SET metadata_security = true``.

Redshift (Database Developer Guide, "Metadata security", "ALTER SYSTEM"): a superuser or admin
user turns it on for the cluster; users then see in the catalog only the objects they have
access to, own, or that are public (superusers and roles with ACCESS CATALOG see everything).

Here the setting is kept in ``redshift_double.system_setting`` (read by each session at its
first message, so every double in front of the database sees it). With it on, a session of a
user that is not a superuser reads ``pg_class``, ``pg_attribute``, ``pg_namespace``,
``pg_type``, ``pg_constraint``, ``pg_tables``, ``pg_views`` and ``pg_indexes`` (plain or
``pg_catalog.``-qualified) as views of schema ``redshift_double`` that keep the system
schemas' rows and the rows of objects the user owns or holds a privilege on (PUBLIC's
included). PostgreSQL's ``information_schema`` filters by privilege already. Not modelled:
ACCESS CATALOG, the other catalog tables (``pg_depend``, ``pg_description``, ``pg_stats``
...), an OID cast to ``regclass`` (which prints any relation's name), the svv_/svl_ views,
and which exact set of tables Redshift filters.
"""

from __future__ import annotations

import asyncio
import re

from sqlglot.tokens import Tokenizer, TokenType

from datalake_dev.redshift_double import catalog
from datalake_dev.redshift_double.statements import Refused

SETTING = "metadata_security"
FILTERED = ("pg_class", "pg_attribute", "pg_namespace", "pg_type", "pg_constraint")
FILTERED_VIEWS = ("pg_tables", "pg_views", "pg_indexes")

VIEWS_SQL = r"""
CREATE TABLE IF NOT EXISTS redshift_double.system_setting (
    name text PRIMARY KEY, value boolean NOT NULL);
REVOKE ALL ON redshift_double.system_setting FROM PUBLIC;
CREATE OR REPLACE VIEW redshift_double.ms_pg_namespace WITH (security_invoker = true) AS
    SELECT * FROM pg_catalog.pg_namespace n
    WHERE n.nspname IN ('pg_catalog', 'information_schema', 'public') OR n.nspname LIKE 'pg\_%'
       OR pg_has_role(n.nspowner, 'USAGE') OR has_schema_privilege(n.oid, 'USAGE');
CREATE OR REPLACE VIEW redshift_double.ms_pg_class WITH (security_invoker = true) AS
    SELECT * FROM pg_catalog.pg_class c
    WHERE c.relnamespace IN (SELECT oid FROM pg_catalog.pg_namespace
                             WHERE nspname IN ('pg_catalog', 'information_schema'))
       OR pg_has_role(c.relowner, 'USAGE')
       OR has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES')
       OR has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES');
CREATE OR REPLACE VIEW redshift_double.ms_pg_attribute WITH (security_invoker = true) AS
    SELECT {pg_attribute_columns} FROM pg_catalog.pg_attribute a
    WHERE a.attrelid IN (SELECT oid FROM redshift_double.ms_pg_class);
CREATE OR REPLACE VIEW redshift_double.ms_pg_type WITH (security_invoker = true) AS
    SELECT * FROM pg_catalog.pg_type t
    WHERE t.typnamespace IN (SELECT oid FROM redshift_double.ms_pg_namespace)
      AND (t.typrelid = 0 OR t.typrelid IN (SELECT oid FROM redshift_double.ms_pg_class));
CREATE OR REPLACE VIEW redshift_double.ms_pg_constraint WITH (security_invoker = true) AS
    SELECT * FROM pg_catalog.pg_constraint k
    WHERE k.connamespace IN (SELECT oid FROM redshift_double.ms_pg_namespace)
      AND (k.conrelid = 0 OR k.conrelid IN (SELECT oid FROM redshift_double.ms_pg_class));
CREATE OR REPLACE VIEW redshift_double.ms_pg_tables WITH (security_invoker = true) AS
    SELECT * FROM pg_catalog.pg_tables v WHERE (v.schemaname, v.tablename) IN (
        SELECT n.nspname, c.relname FROM redshift_double.ms_pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace);
CREATE OR REPLACE VIEW redshift_double.ms_pg_views WITH (security_invoker = true) AS
    SELECT * FROM pg_catalog.pg_views v WHERE (v.schemaname, v.viewname) IN (
        SELECT n.nspname, c.relname FROM redshift_double.ms_pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace);
CREATE OR REPLACE VIEW redshift_double.ms_pg_indexes WITH (security_invoker = true) AS
    SELECT * FROM pg_catalog.pg_indexes v WHERE (v.schemaname, v.indexname) IN (
        SELECT n.nspname, c.relname FROM redshift_double.ms_pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace);
GRANT SELECT ON redshift_double.ms_pg_namespace, redshift_double.ms_pg_class,
    redshift_double.ms_pg_attribute, redshift_double.ms_pg_type, redshift_double.ms_pg_constraint,
    redshift_double.ms_pg_tables, redshift_double.ms_pg_views, redshift_double.ms_pg_indexes
    TO PUBLIC;
"""

_ALTER_SYSTEM = re.compile(
    r"^\s*ALTER\s+SYSTEM\s+SET\s+(?P<name>\w+)\s*(=|TO)\s*(?P<value>\w+)\s*;?\s*$", re.IGNORECASE
)
_TRUE, _FALSE = {"TRUE", "T", "ON"}, {"FALSE", "F", "OFF"}


def install(conn) -> None:
    """The setting's table and the filtered views (pg_attribute without attmissingval: a view
    cannot have a column of pseudo-type anyarray)."""
    columns = [
        row[0]
        for row in conn.execute(
            "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = "
            "'pg_catalog.pg_attribute'::regclass AND attnum > 0 AND NOT attisdropped "
            "AND atttypid <> 'anyarray'::regtype ORDER BY attnum"
        )
    ]
    conn.execute(VIEWS_SQL.replace("{pg_attribute_columns}", ", ".join(columns)))


async def alter_system(session, statement) -> str:
    """ALTER SYSTEM SET metadata_security = {true|t|on|false|f|off}, by a superuser."""
    m = _ALTER_SYSTEM.match(statement.sql)
    value = m and m.group("value").upper()
    if m is None or m.group("name").lower() != SETTING or value not in _TRUE | _FALSE:
        raise Refused(
            "the double models ALTER SYSTEM SET metadata_security = true|false only "
            "(data_catalog_auto_mount is not modelled)"
        )
    _, rows, _ = await session.rows(
        "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user"
    )
    if not rows or rows[0][0] != "t":
        from datalake_dev.redshift_double.session import UpstreamError

        raise UpstreamError(
            {
                "S": "ERROR",
                "C": "42501",
                "M": "permission denied: ALTER SYSTEM needs a superuser or an admin user",
            }
        )
    on = value in _TRUE

    def store():
        with catalog.admin(session.double.upstream_uri) as conn:
            conn.execute(
                "INSERT INTO redshift_double.system_setting VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                (SETTING, on),
            )

    await asyncio.to_thread(store)
    return "ALTER SYSTEM"


def sees_all(double, user: str) -> bool:
    """Whether this login sees the whole catalog: metadata security is off, or it is a
    superuser. Asked once per session."""
    with catalog.admin(double.upstream_uri) as conn:
        row = conn.execute(
            "SELECT NOT coalesce((SELECT value FROM redshift_double.system_setting "
            "WHERE name = %s), false) OR coalesce((SELECT rolsuper FROM pg_catalog.pg_roles "
            "WHERE rolname = %s), false)",
            (SETTING, user),
        ).fetchone()
    return bool(row[0])


def filtered(sql: str) -> str:
    """sql with the catalog tables it reads replaced by their filtered views."""
    lower = sql.lower()
    if not any(name in lower for name in FILTERED + FILTERED_VIEWS):
        return sql
    try:
        tokens = Tokenizer().tokenize(sql)
    except Exception:  # PostgreSQL decides
        return sql
    out, pos = [], 0
    for i, tok in enumerate(tokens):
        name = tok.text.lower()
        if tok.token_type == TokenType.STRING or name not in FILTERED + FILTERED_VIEWS:
            continue
        start = tok.start
        if i >= 2 and tokens[i - 1].token_type == TokenType.DOT:
            if tokens[i - 2].text.lower() != "pg_catalog":
                continue  # another schema's object of that name
            start = tokens[i - 2].start
        if i + 1 < len(tokens) and tokens[i + 1].token_type == TokenType.L_PAREN:
            continue  # a function of that name
        out.append(sql[pos:start])
        out.append(f"redshift_double.ms_{name}")
        pos = tok.end + 1
    out.append(sql[pos:])
    return "".join(out)
