"""Refresh the typed tables on the local PostgreSQL: queue the entities of newly loaded hourly
runs, then rewrite each organisation's changed entities in one transaction per organisation.
On Redshift the same steps run the Redshift twins of the statements (datalake.typed.redshift_sql).

Per organisation: stage the current payloads of its queued entities (or all of them, for a
build), classify every top-level value (include/sql/typed/infer.sql), widen the catalog's
column types over what was seen (``kinds.widen``), add a column per new attribute, rebuild a
table whose column type had to change, delete and insert the queued rows, replace their links,
rewrite the catalog and grant the organisation's credentials. Column types never narrow again,
so a rerun or a rebuild gives the same tables.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import lru_cache

from datalake.locks import lock_typed_tables
from datalake.sqlfiles import read_sql, render_sql, statements
from datalake.typed import redshift_sql
from datalake.typed.kinds import (
    BIGINT,
    BOOLEAN,
    ENTITY_ID_ATTRIBUTE,
    JSON,
    NUMERIC,
    POSTGRES_TYPES,
    REDSHIFT_TYPES,
    RELATION,
    RESERVED_COLUMNS,
    RESERVED_TABLES,
    STANDARD_COLUMNS,
    TEXT,
    TIMESTAMP,
    Attribute,
    same_storage,
    unique_identifier,
    widen,
)

SCHEMA_PREFIX = "t_"
LOCK_TIMEOUT = "10s"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def new_schema_name() -> str:
    """Random, so that the name says nothing about the organisation (every login can list
    schema names in pg_namespace)."""
    return SCHEMA_PREFIX + secrets.token_hex(8)


# What a text column's value must look like to have fitted the type it had before widening.
_TEXT_FITS = {
    BOOLEAN: "{c} IN ('true', 'false')",
    BIGINT: "{c} ~ '^-?[0-9]{{1,18}}$'",
    NUMERIC: "{c} ~ '^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$'",
    TIMESTAMP: (
        "{c} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[T ][0-9]{{2}}:' "
        "AND pg_input_is_valid({c}, 'timestamptz')"
    ),
    JSON: "left({c}, 1) IN ('{{', '[')",
    RELATION: "position('\"$relation\"' in {c}) > 0",
}


def fits_predicate(attr: Attribute) -> str | None:
    if attr.widened_from is None:
        return None
    if attr.kind == NUMERIC and attr.widened_from == BIGINT:
        return f"{attr.column_name} = trunc({attr.column_name})"
    if attr.kind == JSON and attr.widened_from == RELATION:
        return _TEXT_FITS[RELATION].format(c=attr.column_name)
    return _TEXT_FITS[attr.widened_from].format(c=attr.column_name)


@dataclass
class SchemaTable:
    """One entity schema's table and its attributes (catalog rows) in ordinal order."""

    entity_schema: str
    table_name: str
    attributes: dict[str, Attribute] = field(default_factory=dict)
    exists: bool = True
    rebuild: bool = False

    def next_ordinal(self) -> int:
        return max((a.ordinal for a in self.attributes.values()), default=0) + 1

    def columns(self) -> list[Attribute]:
        return sorted(
            (a for a in self.attributes.values() if a.column_name != "entity_id"),
            key=lambda a: a.ordinal,
        )

    def see(
        self, attribute: str, kind: str, count: int, first: str | None, last: str | None
    ) -> None:
        """Widen this table's catalog over `count` values of one kind."""
        attr = self.attributes.get(attribute)
        if attr is None:
            taken = RESERVED_COLUMNS | {a.column_name for a in self.attributes.values()}
            attr = Attribute(
                self.entity_schema,
                self.table_name,
                attribute,
                unique_identifier(attribute, taken),
                None,
                self.next_ordinal(),
                added=True,
            )
            self.attributes[attribute] = attr
        widened = widen(attr.kind, kind)
        if attr.kind is not None and not same_storage(attr.kind, widened):
            self.rebuild = True
        if attr.kind is not None and widened != attr.kind:
            attr.widened_from = attr.kind
        attr.kind = widened
        attr.first_seen = min(filter(None, (attr.first_seen, first)), default=None)
        attr.last_seen = max(filter(None, (attr.last_seen, last)), default=None)


def _event_time(value: str | None):
    """current_entities.time (ISO-8601, 'Z') as an aware datetime."""
    from datetime import datetime

    return datetime.fromisoformat(value) if value else None


def new_table(entity_schema: str, taken: set[str]) -> SchemaTable:
    table = SchemaTable(
        entity_schema,
        unique_identifier(entity_schema, taken | RESERVED_TABLES),
        exists=False,
        rebuild=True,
    )
    table.attributes[ENTITY_ID_ATTRIBUTE] = Attribute(
        entity_schema, table.table_name, ENTITY_ID_ATTRIBUTE, "entity_id", TEXT, 0
    )
    for ordinal, (attribute, column, kind) in enumerate(STANDARD_COLUMNS, start=1):
        table.attributes[attribute] = Attribute(
            entity_schema, table.table_name, attribute, column, kind, ordinal
        )
    return table


def read_catalog(conn, schema: str) -> dict[str, SchemaTable]:
    tables: dict[str, SchemaTable] = {}
    for row in _run(conn, "typed/catalog_read.sql", schema=schema):
        # The query's columns are the catalog row's fields, in order.
        attribute = Attribute(*row)
        table = tables.setdefault(
            attribute.entity_schema, SchemaTable(attribute.entity_schema, attribute.table_name)
        )
        table.attributes[attribute.attribute] = attribute
    return tables


@dataclass
class OrgResult:
    org_id: str
    schema: str
    full: bool
    entities_written: int = 0
    tables_rebuilt: list[str] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_widened: list[str] = field(default_factory=list)


def _columns_sql(table: SchemaTable) -> list[dict]:
    return [
        {
            "name": a.column_name,
            "type": POSTGRES_TYPES[a.kind],
            "key": quote_literal(a.attribute),
            "text": POSTGRES_TYPES[a.kind] == "text",
            "fits": fits_predicate(a),
        }
        for a in table.columns()
    ]


def _columns(conn, table: SchemaTable) -> list[dict]:
    """What the templates need of each column, in the session's warehouse's types."""
    if redshift_sql.on_redshift(conn):
        return redshift_sql.columns(_columns_sql(table), [a.kind for a in table.columns()])
    return _columns_sql(table)


@lru_cache(maxsize=256)
def _split(sql: str) -> tuple[str, ...]:
    return tuple(statements(sql))


def _run(conn, relative: str, params: dict | None = None, **render) -> list[tuple]:
    """Every statement of include/sql/<relative> (rendered when given values); returns the last
    one's rows. Splitting is cached: these files are run once per organisation."""
    rows: list[tuple] = []
    relative = redshift_sql.sql_file(conn, relative)
    for statement in _split(render_sql(relative, **render) if render else read_sql(relative)):
        cur = conn.execute(statement, params if params and "%(" in statement else None)
        rows = cur.fetchall() if cur.description is not None else []
    return rows


def _send(conn, relative: str, **render):
    """A template without parameters, rendered and sent whole (PostgreSQL takes several
    statements in one simple query): splitting the long per-table statements with sqlparse
    would cost more than running them."""
    return conn.execute(render_sql(redshift_sql.sql_file(conn, relative), **render))


def _stats(conn, schema: str, table: SchemaTable, changed_only: bool) -> dict[str, tuple[int, int]]:
    """Per column (rows with a value, values not fitting), and under "entity_id" the row count:
    over the queued entities' rows, or the whole table."""
    columns = _columns(conn, table)
    row = _send(
        conn,
        "typed/column_stats.sql",
        schema=schema,
        table=table.table_name,
        columns=columns,
        changed_only=changed_only,
        slug=None,
    ).fetchone()
    stats = {c["name"]: (row[1 + 2 * i], row[2 + 2 * i]) for i, c in enumerate(columns)}
    stats["entity_id"] = (row[0], 0)
    return stats


def literal_list(values: list[str] | None) -> str:
    """Values as a SQL list of literals (Redshift has no array parameters)."""
    return ", ".join(quote_literal(v) for v in values or ())


def _stage(conn, org: str, changed_only: bool, slugs: list[str] | None) -> None:
    _run(
        conn,
        "typed/stage.sql",
        org=quote_literal(org),
        changed_only=changed_only,
        slugs=literal_list(slugs),
        timestamp_pattern=redshift_sql.TIMESTAMP_PATTERN,
    )


def _write_table(
    conn, schema: str, table: SchemaTable, changed_only: bool, result: OrgResult
) -> None:
    render = {
        "schema": schema,
        "table": table.table_name,
        "slug": quote_literal(table.entity_schema),
    }
    if table.rebuild:
        columns = _columns(conn, table)
        _send(conn, "typed/create_table.sql", columns=columns, **render)
        result.entities_written += _send(
            conn, "typed/insert_rows.sql", columns=columns, **render
        ).rowcount
        _send(conn, "typed/add_key.sql", **render)
        result.tables_rebuilt.append(table.entity_schema)
        stats = _stats(conn, schema, table, changed_only=False)
        for attr in table.attributes.values():
            attr.rows_with_value, attr.values_not_fitting = stats[attr.column_name]
        return
    for attr in table.columns():
        if attr.added:
            _send(
                conn,
                "typed/add_column.sql",
                column=attr.column_name,
                type=_column_types(conn)[attr.kind],
                **render,
            )
            result.columns_added.append(f"{table.entity_schema}.{attr.attribute}")
    before = _stats(conn, schema, table, changed_only=True)
    _send(conn, "typed/delete_rows.sql", **render)
    columns = _columns(conn, table)
    result.entities_written += _send(
        conn, "typed/insert_rows.sql", columns=columns, **render
    ).rowcount
    after = _stats(conn, schema, table, changed_only=True)
    for attr in table.attributes.values():
        attr.rows_with_value += after[attr.column_name][0] - before[attr.column_name][0]
        attr.values_not_fitting += after[attr.column_name][1] - before[attr.column_name][1]


def _column_types(conn) -> dict[str, str]:
    return REDSHIFT_TYPES if redshift_sql.on_redshift(conn) else POSTGRES_TYPES


def _relation_candidates(tables) -> str:
    """(entity schema, attribute) literals of the columns that can hold an object (a $relation
    list): JSON, relation and text columns; the others never saw one."""
    pairs = sorted(
        (t.entity_schema, a.attribute)
        for t in tables
        for a in t.attributes.values()
        if a.kind in (JSON, RELATION, TEXT) and a.column_name != "entity_id"
    )
    return ", ".join(f"({quote_literal(e)}, {quote_literal(a)})" for e, a in pairs)


def _write_catalog(conn, schema: str, tables: dict[str, SchemaTable]) -> None:
    _run(conn, "typed/catalog_clear.sql", schema=schema)
    rows = [
        {
            "entity_schema": a.entity_schema,
            "table_name": t.table_name,
            "attribute": a.attribute,
            "column_name": a.column_name,
            "type": a.kind,
            "ordinal": a.ordinal,
            "first_seen": a.first_seen,
            "last_seen": a.last_seen,
            "rows_with_value": a.rows_with_value,
            "values_not_fitting": a.values_not_fitting,
            "widened_from": a.widened_from,
        }
        for t in tables.values()
        if t.exists or t.rebuild
        for a in t.attributes.values()
    ]
    from datalake.sqlfiles import render_sql

    statement = render_sql("typed/catalog_insert.sql", schema=schema)
    with conn.cursor() as cur:
        cur.executemany(statement, rows)


def grant_credentials(conn, org: str, schema: str, usernames: list[str] | None = None) -> None:
    """The organisation's credentials read its schema and find it first on their search path."""
    if usernames is None:
        usernames = [row[0] for row in _run(conn, "typed/org_credentials.sql", {"org": org})]
        if _run(conn, "typed/reader_exists.sql"):  # the operator's `datalake query` reads all
            _run(conn, "typed/grant_reader.sql", schema=schema)
    for username in usernames:
        _run(conn, "typed/grant_credential.sql", schema=schema, username=quote_ident(username))


def schema_of(conn, org: str) -> tuple[str, bool]:
    """(schema name, built) of the organisation's typed tables; the name is chosen on first use."""
    ((name, built),) = _run(
        conn, "typed/schema_of.sql", {"org": org, "candidate": new_schema_name()}
    )
    if not (name.startswith(SCHEMA_PREFIX) and name[len(SCHEMA_PREFIX) :].isalnum()):
        raise ValueError(f"unexpected typed schema name {name!r}")
    return name, built


def refresh_organisation(conn, org: str, full: bool = False, slug: str | None = None) -> OrgResult:
    """Rewrite one organisation's typed tables in the caller's transaction: its queued entities,
    or (full) all its entities, of every schema or of `slug`."""
    schema, built = schema_of(conn, org)
    if not built:  # the first build: the schema, catalog and link table are created
        full, slug = True, None
        _run(conn, "typed/org_schema.sql", schema=schema)
    tables = read_catalog(conn, schema)
    result = OrgResult(org, schema, full)
    changed_only = not full
    _run(conn, "typed/drop_stage.sql")
    if changed_only:
        _run(conn, "typed/changed_ids.sql", {"org": org})
    _stage(conn, org, changed_only, [slug] if slug else None)
    inferred = _run(conn, "typed/infer.sql", slugs=literal_list([slug] if slug else None))
    touched = {row[0] for row in _run(conn, "typed/staged_schemas.sql")}
    if changed_only:
        touched |= {row[0] for row in _run(conn, "typed/changed_schemas.sql") if row[0] in tables}
    elif slug is not None and slug in tables:
        touched.add(slug)
    elif slug is None:
        touched |= set(tables)
    for entity_schema in sorted(touched):
        if entity_schema not in tables:
            tables[entity_schema] = new_table(
                entity_schema, {t.table_name for t in tables.values()}
            )
        elif full:
            tables[entity_schema].rebuild = True
    for entity_schema, attribute, kind, count, first, last in inferred:
        if attribute == ENTITY_ID_ATTRIBUTE:
            continue
        first, last = _event_time(first), _event_time(last)
        before = tables[entity_schema].attributes.get(attribute)
        old_kind = before.kind if before else None
        tables[entity_schema].see(attribute, kind, count, first, last)
        new_kind = tables[entity_schema].attributes[attribute].kind
        if old_kind is not None and new_kind != old_kind:
            result.columns_widened.append(f"{entity_schema}.{attribute}: {old_kind} -> {new_kind}")
    restage = sorted(s for s in touched if tables[s].rebuild and changed_only)
    if restage:  # a column changed type: the whole table is rebuilt from all its current rows
        _stage(conn, org, False, restage)
    for entity_schema in sorted(touched):
        _write_table(conn, schema, tables[entity_schema], changed_only, result)
    rebuilt = [s for s in sorted(touched) if tables[s].rebuild]
    _run(
        conn,
        "typed/relations_replace.sql",
        schema=schema,
        changed_only=changed_only,
        rebuilt=literal_list(rebuilt),
        candidates=_relation_candidates(tables.values()),
    )
    _write_catalog(conn, schema, tables)
    grant_credentials(conn, org, schema)
    _run(
        conn,
        "typed/clear_pending.sql",
        org=quote_literal(org),
        full=full,
        slug=literal_list([slug] if slug else None),
    )
    _run(conn, "typed/mark_built.sql", {"org": org})
    _run(conn, "typed/drop_stage.sql")
    return result


def collect_changes(conn) -> bool:
    """Queue the entities of runs loaded since the last refresh (own transaction); True when
    this is the first refresh of the warehouse (every organisation is then built whole)."""
    with conn.transaction():
        lock_typed_tables(conn, redshift_sql.on_redshift(conn))
        first = not _run(conn, "typed/has_seen_runs.sql")[0][0]
        _run(conn, "typed/mark_all_runs_seen.sql" if first else "typed/collect_changes.sql")
    return first


def refresh(conn, org: str | None = None, slug: str | None = None) -> list[OrgResult]:
    """Bring every organisation's typed tables up to date (one transaction each). With `org`
    and/or `slug`, rebuild that organisation / that entity schema (everywhere) whole instead."""
    if not conn.autocommit:
        # Each organisation's transaction must commit on its own; on a connection already in a
        # transaction they would be savepoints, committed (or lost) together at its end.
        raise ValueError("typed tables: refresh() needs an autocommit connection")
    first = collect_changes(conn)
    rebuild = org is not None or slug is not None
    if org is not None:
        orgs = [org]
    elif first or slug is not None:
        orgs = [row[0] for row in _run(conn, "typed/organisations.sql")]
    else:
        orgs = [row[0] for row in _run(conn, "typed/pending_organisations.sql")]
    from psycopg import errors

    results, blocked = [], []
    for one in orgs:
        try:
            with conn.transaction():
                lock_typed_tables(conn, redshift_sql.on_redshift(conn))
                # A tenant may hold a lock on its own typed tables (an open transaction that read
                # them); adding a column or rebuilding a table then waits. Waiting is bounded, and
                # only that organisation waits for the next run: its queued entities stay queued.
                _set_local(conn, "lock_timeout", f"'{LOCK_TIMEOUT}'")
                # Many short statements over tables without statistics yet (temporary, new): the
                # JIT's compile time would cost more than the statements themselves.
                _set_local(conn, "jit", "off")
                results.append(refresh_organisation(conn, one, full=first or rebuild, slug=slug))
        except errors.LockNotAvailable:
            blocked.append(one)
    if blocked:
        raise RefreshBlocked(blocked, results)
    return results


def _set_local(conn, name: str, value: str) -> None:
    """A PostgreSQL setting for this transaction; Redshift has neither SET LOCAL nor these
    settings (a refresh there waits for a tenant's lock as long as the tenant holds it)."""
    if not redshift_sql.on_redshift(conn):
        conn.execute(f"SET LOCAL {name} = {value}")


class RefreshBlocked(RuntimeError):
    """Some organisations' typed tables were locked by their own tenants' sessions; the others
    were refreshed. The blocked ones keep their queue and are retried by the next run."""

    def __init__(self, blocked: list[str], results: list[OrgResult]):
        super().__init__(
            f"typed tables of {len(blocked)} organisation(s) were locked by a tenant session "
            f"for more than {LOCK_TIMEOUT} and are left for the next run; "
            f"{len(results)} organisation(s) were refreshed"
        )
        self.blocked, self.results = blocked, results


def run_refresh(settings, org: str | None = None, slug: str | None = None) -> dict:
    """What the DAG's task calls: refresh, and a summary for its log and XCom."""
    from datalake.warehouse import connect

    with connect(settings, autocommit=True) as conn:
        redshift_sql.check_dialect(conn, settings.warehouse_is_redshift)
        results = refresh(conn, org or None, slug or None)
    return {
        "organisations": len(results),
        "entities_written": sum(r.entities_written for r in results),
        "tables_rebuilt": sum(len(r.tables_rebuilt) for r in results),
        "columns_added": sum(len(r.columns_added) for r in results),
        "columns_widened": [f"{r.schema}: {w}" for r in results for w in r.columns_widened],
    }
