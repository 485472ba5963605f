"""Typed tables without a database: how kinds widen, the identifiers made from attribute names,
and the Redshift twins of the refresh's statements (nothing the Redshift double refuses)."""

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


def _redshift_file(name: str, rebuild: bool) -> str:
    from datalake.sqlfiles import render_sql
    from datalake.typed import redshift_sql
    from datalake.typed.refresh import _columns_sql

    table = _planned_table(rebuild)
    return render_sql(
        f"redshift/typed/{name}",
        schema="t_0123456789abcdef",
        table=table.table_name,
        slug="'opportunity'",
        org="'org-1'",
        columns=redshift_sql.columns(_columns_sql(table), [a.kind for a in table.columns()]),
        changed_only=not rebuild,
        slugs="'opportunity', 'contact'",
        rebuilt="'opportunity'" if rebuild else "",
        full=rebuild,
        username='"dl_example"',
        timestamp_pattern=redshift_sql.TIMESTAMP_PATTERN,
        values="('opportunity', 'opportunity', 'flag', 'flag', 'boolean', 5, NULL, NULL, 1, 0, "
        "NULL)",
    )


@pytest.mark.parametrize("rebuild", [True, False])
def test_the_redshift_twins_use_nothing_the_redshift_double_refuses(rebuild):
    """Every Redshift twin, rendered: nothing PostgreSQL-only (the double's refusals, and forms
    it does not look for: jsonb, pg_input_is_valid, ON COMMIT DROP, DELETE with an alias)."""
    import sqlparse

    from datalake.sqlfiles import SQL_ROOT, statements
    from datalake_dev.redshift_double.statements import check, tokenize

    names = sorted(p.name for p in (SQL_ROOT / "redshift" / "typed").glob("*.sql"))
    assert {"stage.sql", "insert_rows.sql", "infer.sql", "collect_changes.sql"} <= set(names)
    for name in names:
        for statement in statements(_redshift_file(name, rebuild)):
            check(tokenize(statement), serverless=True)
            lowered = sqlparse.format(statement, strip_comments=True).lower()
            for absent in ("jsonb", "pg_input_is_valid", "on commit drop", "::text", " text,"):
                assert absent not in lowered, (name, absent)
            assert not re.match(r"\s*delete from [\w.]+ \w+\s+where", lowered), name
    insert = _redshift_file("insert_rows.sql", rebuild)
    assert "CAST(MAX(CASE WHEN v.attribute = 'amount' THEN v.value END) AS NUMERIC(38,12))" in (
        insert
    )
    assert "AS BOOLEAN)" not in insert  # Redshift casts no character string to BOOLEAN


@pytest.mark.parametrize(
    ("server_version", "settings_say_redshift", "agrees"),
    [("8.0.2", True, True), ("16.4", False, True), ("8.0.2", False, False), ("16.4", True, False)],
)
def test_the_refresh_refuses_a_server_its_settings_do_not_name(
    server_version, settings_say_redshift, agrees
):
    from types import SimpleNamespace

    from datalake.typed.redshift_sql import check_dialect

    conn = SimpleNamespace(info=SimpleNamespace(parameter_status=lambda name: server_version))
    if agrees:
        check_dialect(conn, settings_say_redshift)
    else:
        with pytest.raises(ValueError, match="WAREHOUSE_KIND"):
            check_dialect(conn, settings_say_redshift)
