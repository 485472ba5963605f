"""The Redshift -> PostgreSQL rewrite, statement by statement."""

import sqlglot

from datalake.compat import redshift_to_postgres


def one(sql: str) -> str:
    statements = redshift_to_postgres(sql)
    assert len(statements) == 1
    return statements[0]


def test_quoted_identifiers_are_case_folded_like_redshift():
    out = one(
        'SELECT "SCHEMA", "Detail-Type" AS "Journey Title" '
        'FROM "EPILOT_DATALAKE"."entity_operations"'
    )
    assert '"schema"' in out and '"detail-type"' in out and '"journey title"' in out
    assert '"epilot_datalake"."entity_operations"' in out
    assert "SCHEMA" not in out.replace("schema", "")


def test_listagg_without_delimiter_concatenates_with_empty_separator():
    out = one("SELECT LISTAGG(operation) FROM t GROUP BY entity_id")
    assert "STRING_AGG(operation, '')" in out


def test_listagg_with_delimiter_keeps_it():
    out = one("SELECT LISTAGG(operation, '|') FROM t")
    assert "STRING_AGG(operation, '|')" in out


def test_string_column_compared_with_extract_becomes_text_comparison():
    out = one(
        'SELECT 1 FROM t WHERE "year" = EXTRACT(YEAR FROM CURRENT_DATE) '
        'AND EXTRACT(MONTH FROM CURRENT_DATE) = "month"'
    )
    assert '"year" = CAST(CAST(EXTRACT(YEAR FROM CURRENT_DATE) AS BIGINT) AS VARCHAR)' in out
    assert 'CAST(CAST(EXTRACT(MONTH FROM CURRENT_DATE) AS BIGINT) AS VARCHAR) = "month"' in out


def test_json_extract_path_text_with_null_if_invalid_is_kept_for_the_database_overloads():
    out = one("SELECT json_extract_path_text(detail, 'payload', 'source', 'title', TRUE) FROM t")
    assert "JSON_EXTRACT_PATH_TEXT(detail, 'payload', 'source', 'title', TRUE)" in out


def test_several_statements_and_output_parses_as_postgres():
    statements = redshift_to_postgres("SELECT 1; SELECT LISTAGG(a) FROM t;")
    assert len(statements) == 2
    for statement in statements:
        sqlglot.parse_one(statement, read="postgres")


def test_datediff_counts_unit_boundaries_on_the_epoch_like_redshift():
    # sqlglot alone rounds the elapsed interval (2 h -> 0 days) through a session-time-zone
    # dependent CAST(timestamptz AS TIMESTAMP); Redshift counts the boundaries crossed.
    out = one("SELECT DATEDIFF(day, due_date, CURRENT_DATE) FROM t")
    assert "FLOOR(CAST(EXTRACT(EPOCH FROM CURRENT_DATE) AS DOUBLE PRECISION) / 86400)" in out
    assert "FLOOR(CAST(EXTRACT(EPOCH FROM due_date) AS DOUBLE PRECISION) / 86400)" in out
    assert "AS TIMESTAMP" not in out
    out = one("SELECT DATEDIFF(second, started_at, completed_at) FROM t")
    assert (
        "CAST((FLOOR(EXTRACT(EPOCH FROM completed_at)) "
        "- FLOOR(EXTRACT(EPOCH FROM started_at))) AS BIGINT)" in out
    )
    out = one("SELECT DATEDIFF(ms, a, b) FROM t")
    assert "FLOOR(EXTRACT(EPOCH FROM b) * 1000) - FLOOR(EXTRACT(EPOCH FROM a) * 1000)" in out
    sqlglot.parse_one(out, read="postgres")


def test_datediff_literal_arguments_are_cast_and_calendar_units_left_to_sqlglot():
    out = one("SELECT DATEDIFF(hour, '2026-01-01 23:00', b) FROM t")
    assert "EXTRACT(EPOCH FROM CAST('2026-01-01 23:00' AS TIMESTAMP))" in out
    out = one("SELECT DATEDIFF(month, a, b) FROM t")
    assert "AGE(" in out and "EPOCH" not in out.upper()


def test_sql_that_does_not_parse_is_a_one_line_value_error():
    import pytest

    from datalake.compat import SqlSyntaxError

    with pytest.raises(SqlSyntaxError) as info:
        redshift_to_postgres("SELECT 1 FROM t WHERE")
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "\n" not in message and "<Token" not in message and "<class" not in message
    assert message.startswith("SQL syntax error at line 1, column 21 near 'WHERE'")
