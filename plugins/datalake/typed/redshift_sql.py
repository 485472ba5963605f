"""The typed tables' statements for Redshift, rendered from include/sql/redshift/typed/ (where
Redshift differs) and include/sql/typed/ (where it does not).

Where Redshift differs (AWS Redshift Database Developer Guide): no jsonb, the payload is
SUPER from JSON_PARSE and its attributes are listed with UNPIVOT (PartiQL); VARCHAR lengths
are bytes and TEXT is VARCHAR(256), so text columns are VARCHAR(65535); NUMERIC without
precision is NUMERIC(18,0), so numbers are NUMERIC(38,12); no arrays (lists are rendered as
literals); no ON CONFLICT or data-modifying CTEs, and MERGE takes a table as its source; no
indexes; the search path is a user setting (ALTER USER … SET search_path). Not run here: the
statements are rendered and parsed (tests/unit/datalake/typed/), not executed on a cluster.
"""

from __future__ import annotations

from datalake.sqlfiles import SQL_ROOT, render_sql, statements
from datalake.typed.kinds import REDSHIFT_TYPES, TEXT, Attribute
from datalake.typed.refresh import SchemaTable, literal_list, quote_ident, quote_literal

# ISO-8601 date and time with field ranges (a 30 February still passes and would fail the cast).
TIMESTAMP_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$"
)


def sql_file(name: str) -> str:
    """The Redshift twin of include/sql/typed/<name> when there is one, else the shared file."""
    twin = f"redshift/typed/{name}"
    return twin if (SQL_ROOT / twin).exists() else f"typed/{name}"


def _columns(table: SchemaTable) -> list[dict]:
    return [
        {
            "name": a.column_name,
            "type": REDSHIFT_TYPES[a.kind],
            "kind": a.kind,
            "path": quote_ident(a.attribute),
            "text": REDSHIFT_TYPES[a.kind] == REDSHIFT_TYPES[TEXT],
            "fits": _fits(a),
        }
        for a in table.columns()
    ]


def _fits(attr: Attribute) -> str | None:
    """As refresh.fits_predicate, without PostgreSQL's pg_input_is_valid."""
    from datalake.typed.refresh import fits_predicate

    predicate = fits_predicate(attr)
    if predicate and "pg_input_is_valid" in predicate:
        return f"{attr.column_name} ~ '{TIMESTAMP_PATTERN}'"
    return predicate


def render(name: str, **params) -> list[str]:
    return statements(render_sql(sql_file(name), **params))


def refresh_statements(org_schema: str, tables: list[SchemaTable], changed_only: bool) -> list[str]:
    """The statements of one organisation's refresh on Redshift, in order, for a plan (tables
    whose catalog was widened over the staged values; `rebuild` set where a column changed type).
    Parameters left for the driver: %(org)s (organisation "org-1" in the rendered literals)."""
    out: list[str] = []
    out += render("lock.sql")
    out += render("collect_changes.sql")
    out += render("org_schema.sql", schema=org_schema)
    if changed_only:
        out += render("changed_ids.sql")
    out += render("stage.sql", org=quote_literal("org-1"), changed_only=changed_only, slugs="")
    out += render("infer.sql", slugs="", timestamp_pattern=TIMESTAMP_PATTERN)
    for table in tables:
        common = {
            "schema": org_schema,
            "table": table.table_name,
            "slug": quote_literal(table.entity_schema),
        }
        columns = _columns(table)
        if table.rebuild:
            out += render("create_table.sql", columns=columns, **common)
        else:
            for attr in table.columns():
                if attr.added:
                    out += render(
                        "add_column.sql",
                        column=attr.column_name,
                        type=REDSHIFT_TYPES[attr.kind],
                        **common,
                    )
            out += render("delete_rows.sql", **common)
        out += render("insert_rows.sql", columns=columns, **common)
        out += render(
            "column_stats.sql",
            columns=columns,
            changed_only=changed_only and not table.rebuild,
            **common,
        )
    rebuilt = [t.entity_schema for t in tables if t.rebuild]
    out += render(
        "relations_replace.sql",
        schema=org_schema,
        changed_only=changed_only,
        rebuilt=literal_list(rebuilt),
    )
    out += render("catalog_clear.sql", schema=org_schema)
    out += render("catalog_insert.sql", schema=org_schema)
    out += render("grant_credential.sql", schema=org_schema, username=quote_ident("dl_example"))
    return out
