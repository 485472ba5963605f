"""Refresh the typed tables on the local PostgreSQL: queue the entities of newly loaded hourly
runs, then rewrite each organisation's changed entities in one transaction per organisation.
On Redshift the same steps run the Redshift twins of the statements (datalake.typed.redshift_sql).

Per organisation: stage the current payloads of its queued entities (or all of them, for a
build), classify every top-level value (include/sql/typed/infer.sql), widen the catalog's
column types over what was seen (``kinds.widen``), add a column per new attribute, rebuild a
table whose column type had to change, delete and insert the queued rows, replace their links,
rewrite the catalog and grant the organisation's credentials the tables it created. Column types
never narrow again, so a rerun or a rebuild gives the same tables.

An organisation's statements travel in a few batches (PostgreSQL runs several statements sent
as one simple query): the stage, the inference, every table's writes, the links with the
catalog, the end. Their round-trips, not their work, were most of a small hour's cost.
"""

from __future__ import annotations

import json
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
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
    TIMESTAMP_SHAPES,
    Attribute,
    same_storage,
    unique_identifier,
    widen,
)

SCHEMA_PREFIX = "t_"
LOCK_TIMEOUT = "10s"
# An organisation's transaction does not wait for its WAL to reach the disk (asynchronous commit,
# https://www.postgresql.org/docs/current/wal-async-commit.html): a crash may lose the last
# commits, but each loses its queue deletion together with its tables' writes, so those entities
# are still queued and the next refresh writes them. The flush was a good part of a small
# organisation's transaction.
_ORG_SETTINGS = "SET LOCAL jit = off; SET LOCAL synchronous_commit = off"


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
    # The catalog's rows as read, by attribute: only those that changed are written back.
    stored: dict[str, tuple] = field(default_factory=dict)

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


def _event_time(value):
    """An event time as an aware datetime: PostgreSQL's stage keeps it as a timestamp, the
    Redshift twin's as current_entities.time's text (ISO-8601, 'Z')."""
    if isinstance(value, str):
        return datetime.fromisoformat(value) if value else None
    return value


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
    return catalog_tables(_send(conn, "typed/catalog_read.sql", schema=schema).fetchall())


def catalog_tables(rows: list[tuple]) -> dict[str, SchemaTable]:
    """The tables of catalog_read.sql's rows."""
    tables: dict[str, SchemaTable] = {}
    for row in rows:
        # The query's columns are the catalog row's fields, in order.
        attribute = Attribute(*row)
        table = tables.setdefault(
            attribute.entity_schema, SchemaTable(attribute.entity_schema, attribute.table_name)
        )
        table.attributes[attribute.attribute] = attribute
        table.stored[attribute.attribute] = tuple(row)
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


@dataclass(frozen=True, slots=True)
class TemplateColumn:
    """What the SQL templates read of one column. Attributes, not a dict: Jinja looks a field
    up as an attribute first, and a dict's miss (an exception per field, per column, per
    template) was most of the time it took to render an organisation's statements."""

    name: str
    type: str
    key: str  # the payload attribute, as a SQL literal
    text: bool
    fits: str | None
    kind: str | None = None  # Redshift's templates also branch on the kind


def _columns_sql(table: SchemaTable) -> list[TemplateColumn]:
    return [
        TemplateColumn(
            name=a.column_name,
            type=POSTGRES_TYPES[a.kind],
            key=quote_literal(a.attribute),
            text=POSTGRES_TYPES[a.kind] == "text",
            fits=fits_predicate(a),
        )
        for a in table.columns()
    ]


def _columns(conn, table: SchemaTable) -> list[TemplateColumn]:
    """What the templates need of each column, in the session's warehouse's types."""
    if redshift_sql.on_redshift(conn):
        return redshift_sql.columns(_columns_sql(table), [a.kind for a in table.columns()])
    return _columns_sql(table)


def _column_types(conn) -> dict[str, str]:
    return REDSHIFT_TYPES if redshift_sql.on_redshift(conn) else POSTGRES_TYPES


def _render(conn, relative: str, **render) -> str:
    """include/sql/<relative> (rendered when given values); its Redshift twin on Redshift."""
    relative = redshift_sql.sql_file(conn, relative)
    if not render:
        return read_sql(relative)
    try:
        return _render_once(relative, tuple(sorted(render.items())))
    except TypeError:  # a value that is a list (a table's columns): rendered every time
        return render_sql(relative, **render)


@lru_cache(maxsize=256)
def _render_once(relative: str, render: tuple) -> str:
    """A template rendered once for the same values: the inference and the queries of the
    staged schemas are the same text for every organisation."""
    return render_sql(relative, **dict(render))


@lru_cache(maxsize=256)
def _split(sql: str) -> tuple[str, ...]:
    return tuple(statements(sql))


def _run(conn, relative: str, params: dict | None = None, **render) -> list[tuple]:
    """Every statement of include/sql/<relative> (rendered when given values); returns the last
    one's rows. Splitting is cached: these files are run once per organisation."""
    rows: list[tuple] = []
    for statement in _split(_render(conn, relative, **render)):
        cur = conn.execute(statement, params if params and "%(" in statement else None)
        rows = cur.fetchall() if cur.description is not None else []
    return rows


def _send(conn, relative: str, **render):
    """A template without parameters, rendered and sent whole (PostgreSQL takes several
    statements in one simple query): splitting the long per-table statements with sqlparse
    would cost more than running them."""
    return _send_batch(conn, _render(conn, relative, **render))


def _send_batch(conn, *sqls: str):
    """Rendered templates sent as one simple query: one round-trip for all their statements
    (most of an organisation's statements are short, their round-trips were its fixed cost).
    Each file's statements end before the next file's (a file may end in a comment line)."""
    return conn.execute("\n;\n".join(sqls))


def _bound(conn, relative: str, params: dict, **render) -> str:
    """A template with parameters, its values bound as literals by psycopg (client-side), so
    that it can travel in a batch."""
    from psycopg import ClientCursor

    return ClientCursor(conn).mogrify(_render(conn, relative, **render), params)


def _last_rows(cur) -> list[tuple]:
    """The rows of a batch's last statement."""
    while cur.nextset():
        pass
    return cur.fetchall()


def _row_sets(cur):
    """The rows of each result of a batch that returned rows, in order (statements that return
    none, such as settings and inserts, are passed over)."""
    while True:
        # Whether it has columns, not `description`: that builds a Column object per column of
        # each result (the catalog's counts are dozens of columns per table).
        if cur.pgresult is not None and cur.pgresult.nfields:
            yield cur.fetchall()
        if not cur.nextset():
            return


def _result_rows(cur) -> list[tuple]:
    """The first row of every result of a batch that returned rows, in order (the catalog's
    counts: one aggregate row each)."""
    return [rows[0] for rows in _row_sets(cur)]


def _counted(dml: str, columns: list[TemplateColumn]) -> str:
    """A delete or insert of a table's rows that returns, instead of a row count, the counts
    the catalog keeps over the rows it removed or wrote (column_stats.sql): no second scan."""
    return render_sql("typed/column_stats.sql", dml=dml, columns=columns)


def _stats_of(row: tuple, columns: list[TemplateColumn]) -> dict[str, tuple[int, int]]:
    """Per column (rows with a value, values not fitting), and under "entity_id" the row
    count, from a column_stats.sql row."""
    # sum() over no rows is NULL.
    stats = {c.name: (row[1 + 2 * i] or 0, row[2 + 2 * i] or 0) for i, c in enumerate(columns)}
    stats["entity_id"] = (row[0], 0)
    return stats


def literal_list(values: list[str] | None) -> str:
    """Values as a SQL list of literals (Redshift has no array parameters)."""
    return ", ".join(quote_literal(v) for v in values or ())


_TIMESTAMP_SHAPES_SQL = literal_list(TIMESTAMP_SHAPES)


def _stage_sql(conn, org: str, changed_only: bool, slugs: list[str] | None) -> str:
    return _render(
        conn,
        "typed/stage.sql",
        org=quote_literal(org),
        changed_only=changed_only,
        slugs=literal_list(slugs),
        timestamp_pattern=redshift_sql.TIMESTAMP_PATTERN,
    )


def _write_table(conn, schema: str, table: SchemaTable, result: OrgResult):
    """The statements that (re)create and fill the table, or add its new columns and replace
    its queued rows; and what takes their result rows (the catalog's counts come back with the
    rows deleted and inserted)."""
    render = {
        "schema": schema,
        "table": table.table_name,
        "slug": quote_literal(table.entity_schema),
    }
    columns = _columns(conn, table)
    if redshift_sql.on_redshift(conn):
        # No RETURNING on Redshift: the same counts by a query of the queued rows (all rows of
        # a rebuilt table), before the delete and after the insert.
        stats = _render(
            conn,
            "typed/column_stats.sql",
            columns=columns,
            changed_only=not table.rebuild,
            **render,
        )

        def counted(dml: str, before: bool = False) -> list[str]:
            return [stats, dml] if before else [dml, stats]
    else:

        def counted(dml: str, before: bool = False) -> list[str]:
            return [_counted(dml, columns)]

    insert = counted(_render(conn, "typed/insert_rows.sql", columns=columns, **render))
    if table.rebuild:
        sqls = [
            _render(conn, "typed/create_table.sql", columns=columns, **render),
            *insert,
            _render(conn, "typed/add_key.sql", **render),
        ]

        def take(rows) -> None:
            after = _stats_of(next(rows), columns)
            result.entities_written += after["entity_id"][0]
            result.tables_rebuilt.append(table.entity_schema)
            for attr in table.attributes.values():
                attr.rows_with_value, attr.values_not_fitting = after[attr.column_name]

        return sqls, take
    added = [attr for attr in table.columns() if attr.added]
    delete = counted(_render(conn, "typed/delete_rows.sql", **render), before=True)
    sqls = [
        _render(
            conn,
            "typed/add_column.sql",
            column=attr.column_name,
            type=_column_types(conn)[attr.kind],
            **render,
        )
        for attr in added
    ] + [*delete, *insert]

    def take(rows) -> None:
        before, after = _stats_of(next(rows), columns), _stats_of(next(rows), columns)
        result.columns_added.extend(f"{table.entity_schema}.{attr.attribute}" for attr in added)
        result.entities_written += after["entity_id"][0]
        for attr in table.attributes.values():
            attr.rows_with_value += after[attr.column_name][0] - before[attr.column_name][0]
            attr.values_not_fitting += after[attr.column_name][1] - before[attr.column_name][1]

    return sqls, take


def _write_tables(conn, schema: str, tables: list[SchemaTable], result: OrgResult) -> None:
    """Every touched table written in one round-trip."""
    plans = [_write_table(conn, schema, table, result) for table in tables]
    if not plans:
        return
    cur = _send_batch(conn, *(sql for sqls, _ in plans for sql in sqls))
    rows = iter(_result_rows(cur))
    for _, take in plans:
        take(rows)


def _relation_candidates(tables, inferred: list[tuple], restaged: list[str]) -> str:
    """(entity schema, attribute) literals of the attributes whose values can hold a $relation
    list: those where the inference saw one among the staged values (it classified every one
    of them); for tables restaged after it, every column that can hold an object (JSON,
    relation and text columns: the others never saw one)."""
    pairs = {(row[0], row[1]) for row in inferred if row[2] == RELATION}
    pairs |= {
        (t.entity_schema, a.attribute)
        for t in tables
        if t.entity_schema in restaged
        for a in t.attributes.values()
        if a.kind in (JSON, RELATION, TEXT) and a.column_name != "entity_id"
    }
    return ", ".join(f"({quote_literal(e)}, {quote_literal(a)})" for e, a in sorted(pairs))


# A catalog row's fields: catalog_read.sql's columns, and what the writing statements bind.
CATALOG_FIELDS = (
    "entity_schema",
    "table_name",
    "attribute",
    "column_name",
    "type",
    "ordinal",
    "first_seen",
    "last_seen",
    "rows_with_value",
    "values_not_fitting",
    "widened_from",
)


def _catalog_row(table: SchemaTable, a: Attribute) -> tuple:
    """An attribute's catalog row, as catalog_read.sql reads it (CATALOG_FIELDS)."""
    return (
        a.entity_schema,
        table.table_name,
        a.attribute,
        a.column_name,
        a.kind,
        a.ordinal,
        a.first_seen,
        a.last_seen,
        a.rows_with_value,
        a.values_not_fitting,
        a.widened_from,
    )


def _catalog_record(row: tuple) -> dict:
    """A catalog row by field name, its times as ISO-8601 text, as the statements bind it."""
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in zip(CATALOG_FIELDS, row, strict=True)
    }


def _catalog_sql(conn, schema: str, tables: dict[str, SchemaTable]) -> list[str]:
    """The statements that write the catalog's rows: on PostgreSQL those that changed (in place),
    on Redshift all of them again."""
    redshift = redshift_sql.on_redshift(conn)
    rows = []
    for t in tables.values():
        if t.exists or t.rebuild:
            for a in t.attributes.values():
                row = _catalog_row(t, a)
                if redshift or row != t.stored.get(a.attribute):
                    rows.append(_catalog_record(row))
    if redshift:  # no jsonb, no ON CONFLICT: cleared, then literals
        values = redshift_sql.rows_sql(conn, rows)
        return [
            _render(conn, "typed/catalog_clear.sql", schema=schema),
            _render(conn, "typed/catalog_rows.sql", schema=schema, values=values),
        ]
    if not rows:
        return []
    return [_bound(conn, "typed/catalog_rows.sql", {"rows": json.dumps(rows)}, schema=schema)]


def grant_credentials(conn, org: str, schema: str, usernames: list[str] | None = None) -> None:
    """The organisation's credentials read its schema and find it first on their search path."""
    if usernames is None:
        usernames = [row[0] for row in _run(conn, "typed/org_credentials.sql", {"org": org})]
        if _run(conn, "typed/reader_exists.sql"):  # the operator's `datalake query` reads all
            _send(conn, "typed/grant_reader.sql", schema=schema)
    if usernames:
        _send_batch(
            conn,
            *(
                _render(conn, "typed/grant_credential.sql", schema=schema, username=quote_ident(u))
                for u in usernames
            ),
        )


def open_typed_schema(conn, org: str, username: str) -> None:
    """A new credential's view of its organisation's typed tables, in the caller's transaction:
    the schema (created empty when its first build is still to come), readable by the
    credential and first on its search path. On Redshift the twins (ALTER USER ... SET)."""
    schema, _ = schema_of(conn, org)
    _send(conn, "typed/org_schema.sql", schema=schema)
    grant_credentials(conn, org, schema, [username])


def schema_of(conn, org: str) -> tuple[str, bool]:
    """(schema name, built) of the organisation's typed tables; the name is chosen on first use."""
    cur = _send_batch(
        conn, _bound(conn, "typed/schema_of.sql", {"org": org, "candidate": new_schema_name()})
    )
    ((name, built),) = _last_rows(cur)
    return _checked_schema_name(name), built


def known_schemas(conn) -> dict[str, tuple[str, bool]]:
    """Every organisation's (schema name, built) in one query, for a refresh of many: looking
    each up in its own transaction was two statements and a round-trip per organisation."""
    return {
        org: (_checked_schema_name(name), built)
        for org, name, built in _run(conn, "typed/known_schemas.sql")
    }


def _checked_schema_name(name: str) -> str:
    if not (name.startswith(SCHEMA_PREFIX) and name[len(SCHEMA_PREFIX) :].isalnum()):
        raise ValueError(f"unexpected typed schema name {name!r}")
    return name


def refresh_organisation(
    conn,
    org: str,
    full: bool = False,
    slug: str | None = None,
    known: tuple[str, bool] | None = None,
) -> OrgResult:
    """Rewrite one organisation's typed tables in the caller's transaction: its queued entities,
    or (full) all its entities, of every schema or of `slug`. The working tables
    (stage_tables.sql) exist and are empty (`stage_tables`). `known`: its (schema, built) when
    the caller read them (`known_schemas`); else they are looked up, or chosen."""
    schema, built = known or schema_of(conn, org)
    settings = _org_settings(conn)  # sent with the transaction's first batch
    if not built:  # the first build: the schema, catalog and link table are created
        full, slug = True, None
        _send_batch(conn, *settings, _render(conn, "typed/org_schema.sql", schema=schema))
        settings = []
    result = OrgResult(org, schema, full)
    changed_only = not full
    slugs = literal_list([slug] if slug else None)
    # One round-trip: the catalog, then the staged payloads' kinds and schemas.
    results = _row_sets(
        _send_batch(
            conn,
            *settings,
            _render(conn, "typed/catalog_read.sql", schema=schema),
            *_per_org_stage(conn),
            *([_bound(conn, "typed/changed_ids.sql", {"org": org})] if changed_only else []),
            _stage_sql(conn, org, changed_only, [slug] if slug else None),
            _render(conn, "typed/infer.sql", slugs=slugs, shapes=_TIMESTAMP_SHAPES_SQL),
            _render(conn, "typed/staged_schemas.sql"),
            *([_render(conn, "typed/changed_schemas.sql")] if changed_only else []),
        )
    )
    tables = catalog_tables(next(results))
    inferred = next(results)
    touched = {row[0] for row in next(results)}
    if changed_only:
        touched |= {row[0] for row in next(results) if row[0] in tables}
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
        _send_batch(conn, _stage_sql(conn, org, False, restage))
    _write_tables(conn, schema, [tables[s] for s in sorted(touched)], result)
    rebuilt = [s for s in sorted(touched) if tables[s].rebuild]
    links_and_catalog = [
        _render(
            conn,
            "typed/relations_replace.sql",
            schema=schema,
            changed_only=changed_only,
            whole=full and slug is None,
            rebuilt=literal_list(rebuilt),
            candidates=_relation_candidates(tables.values(), inferred, restage),
        ),
        *_catalog_sql(conn, schema, tables),
    ]
    end = [
        _render(conn, "typed/clear_pending.sql", org=quote_literal(org), full=full, slug=slugs),
        _bound(conn, "typed/mark_built.sql", {"org": org}),
        *_per_org_stage(conn),
    ]
    if rebuilt:  # a new table: the credentials hold SELECT on the tables there were before
        _send_batch(conn, *links_and_catalog)
        grant_credentials(conn, org, schema)
        _send_batch(conn, *end)
    else:
        _send_batch(conn, *links_and_catalog, *end)
    return result


def collect_changes(conn) -> bool:
    """Queue the entities of runs loaded since the last refresh (own transaction); True when
    this is the first refresh of the warehouse (every organisation is then built whole)."""
    with conn.transaction():
        redshift = redshift_sql.on_redshift(conn)
        lock_typed_tables(conn, redshift)
        first = not _run(conn, "typed/has_seen_runs.sql")[0][0]
        if first:
            _run(conn, "typed/mark_all_runs_seen.sql")
        elif redshift:  # no RETURNING: the new runs go through a temporary table there
            _run(conn, "typed/collect_changes.sql")
        else:
            runs = [row[0] for row in _run(conn, "typed/take_new_runs.sql")]
            if runs:
                _send(conn, "typed/queue_runs.sql", run_keys=literal_list(runs))
    return first


@contextmanager
def stage_tables(conn):
    """The working tables of every organisation's refresh, for the time of a refresh (on an
    autocommit connection: they outlive each organisation's transaction, their rows do not).
    On Redshift each organisation's statements create and drop their own (`_per_org_stage`)."""
    if redshift_sql.on_redshift(conn):
        yield
        return
    _hold_stage_in_memory(conn)
    _send_batch(conn, read_sql("typed/stage_tables.sql"))
    try:
        yield
    finally:
        if not conn.closed:  # else they went with the session
            _send_batch(conn, read_sql("typed/drop_stage.sql"))


# An organisation's stage is read once per table it writes, by the inference and by the links:
# held in the session's memory rather than read back from the operating system each time (the
# default, 8MB, holds the stage of about 12k entities; this, some 400k). The memory is taken
# only as the stage grows, and given back with the session.
STAGE_MEMORY = "256MB"


def _hold_stage_in_memory(conn) -> None:
    """Let the session keep its temporary tables in memory up to STAGE_MEMORY (autocommit).
    PostgreSQL takes the setting only before the session's first temporary table; a session
    that already had one keeps its own (the refresh is as correct, only slower)."""
    from psycopg import errors

    try:
        conn.execute(f"SET temp_buffers = '{STAGE_MEMORY}'")
    except errors.InvalidParameterValue:
        pass


def _org_settings(conn) -> list[str]:
    """The settings of an organisation's transaction, sent once, first in its first batch. A
    tenant may hold a lock on its own typed tables (an open transaction that read them); adding
    a column or rebuilding a table then waits. Waiting is bounded, and only that organisation
    waits for the next run: its queued entities stay queued. Many short statements over tables
    without statistics yet (temporary, new): the JIT's compile time would cost more than the
    statements themselves. Redshift has none of these settings."""
    if redshift_sql.on_redshift(conn):
        return []
    return [f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'; {_ORG_SETTINGS}"]


def _per_org_stage(conn) -> list[str]:
    """Redshift's twins create the working tables in each organisation's statements and keep
    them for the session: they are dropped at its start and end. PostgreSQL's are created once
    per refresh and emptied by each commit (`stage_tables`)."""
    return [_render(conn, "typed/drop_stage.sql")] if redshift_sql.on_redshift(conn) else []


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

    known = known_schemas(conn)
    results, blocked = [], []
    with stage_tables(conn):
        for one in orgs:
            try:
                with conn.transaction():
                    lock_typed_tables(conn, redshift_sql.on_redshift(conn))
                    results.append(
                        refresh_organisation(
                            conn, one, full=first or rebuild, slug=slug, known=known.get(one)
                        )
                    )
            except errors.LockNotAvailable:
                blocked.append(one)
    if blocked:
        raise RefreshBlocked(blocked, results)
    return results


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
