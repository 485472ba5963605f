"""Typed tables without a database: how kinds widen, the identifiers made from attribute names,
and the Redshift statements rendered for a refresh (what Redshift does not have never appears)."""

from __future__ import annotations

import re

import pytest

from datalake.typed import kinds
from datalake.typed.kinds import BIGINT, BOOLEAN, JSON, NUMERIC, RELATION, TEXT, TIMESTAMP, widen
from datalake.typed.refresh import new_table


@pytest.mark.parametrize(
    ("a", "b", "wider"),
    [
        (None, BIGINT, BIGINT),
        (BIGINT, None, BIGINT),
        (BIGINT, BIGINT, BIGINT),
        (BIGINT, NUMERIC, NUMERIC),
        (NUMERIC, BIGINT, NUMERIC),
        (RELATION, JSON, JSON),
        (BOOLEAN, BIGINT, TEXT),
        (TIMESTAMP, TEXT, TEXT),
        (JSON, TEXT, TEXT),
        (TIMESTAMP, BIGINT, TEXT),
        (TEXT, BOOLEAN, TEXT),
    ],
)
def test_kinds_widen_to_the_narrowest_type_holding_both(a, b, wider):
    assert widen(a, b) == wider


def test_identifiers_are_safe_unique_and_short():
    taken = set(kinds.RESERVED_COLUMNS)
    assert kinds.safe_identifier("Weird Name!") == "weird_name"
    assert kinds.safe_identifier("_org") == "_org"
    assert kinds.safe_identifier("1st") == "a_1st"
    assert kinds.safe_identifier("€€€") == "attribute"
    assert kinds.unique_identifier("title", taken) == "title_2"
    taken |= {"weird_name"}
    assert kinds.unique_identifier("WEIRD-name", taken) == "weird_name_2"
    assert len(kinds.safe_identifier("x" * 300)) <= kinds.MAX_IDENTIFIER
    for name in ("a b", "Ä", "x;DROP TABLE y", '"quoted"', "-"):
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", kinds.safe_identifier(name))


def _planned_table(rebuild: bool):
    table = new_table("opportunity", set())
    table.rebuild = rebuild
    for attribute, kind in (
        ("flag", BOOLEAN),
        ("count", BIGINT),
        ("amount", NUMERIC),
        ("due", TIMESTAMP),
        ("name", TEXT),
        ("address", JSON),
        ("customer", RELATION),
        ("Mixed Case", TEXT),
    ):
        table.see(attribute, kind, 1, None, None)
    table.attributes["count"].widened_from = BIGINT
    table.attributes["count"].kind = TEXT
    return table


@pytest.mark.parametrize("rebuild", [True, False])
def test_redshift_refresh_statements_use_only_what_redshift_has(rebuild):
    import sqlglot

    from datalake.typed.redshift_sql import refresh_statements

    sql = refresh_statements(
        "t_0123456789abcdef", [_planned_table(rebuild)], changed_only=not rebuild
    )
    import sqlparse

    text = "\n".join(sqlparse.format(s, strip_comments=True) for s in sql)
    for absent in (
        "jsonb",
        "ANY(",
        "ON CONFLICT",
        "to_regclass",
        "FILTER (",
        "pg_input_is_valid",
        "CREATE INDEX",
        "ARRAY[",
        "::text",
        " text,",
        " numeric,",
        "WITH new_runs",
    ):
        assert absent.lower() not in text.lower(), absent
    assert "JSON_PARSE(c.detail)" in text and "UNPIVOT s.d.payload AS v AT attr" in text
    assert "MERGE INTO datalake_ops.typed_seen_runs USING typed_new_runs" in text
    assert 'ALTER USER "dl_example" SET search_path TO t_0123456789abcdef, epilot_datalake' in text
    if rebuild:
        create = next(s for s in sql if s.startswith("CREATE TABLE t_0123456789abcdef.opportunity"))
        assert (
            "flag BOOLEAN" in create
            and "amount NUMERIC(38,12)" in create
            and "due TIMESTAMPTZ" in create
        )
        assert "count VARCHAR(65535)" in create and "address VARCHAR(65535)" in create
    assert 's.d.payload."Mixed Case"' in text
    for statement in sql:  # PartiQL (UNPIVOT, SUPER paths) is beyond sqlglot's Redshift parser
        if "UNPIVOT" in statement or "s.d.payload" in statement or statement.startswith("SET "):
            continue
        sqlglot.parse_one(statement.replace("%(org)s", "'org'"), read="redshift")
