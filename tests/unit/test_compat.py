"""The Redshift -> PostgreSQL rewrite, statement by statement."""

import sqlglot

from datalake.compat import redshift_to_postgres


def one(sql: str) -> str:
    statements = redshift_to_postgres(sql)
    assert len(statements) == 1
    return statements[0]


def test_quoted_identifiers_are_case_folded_like_redshift():
    out = one('SELECT "SCHEMA", "Detail-Type" AS "Journey Title" FROM "EPILOT_DATALAKE"."entity_operations"')
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
    out = one('SELECT 1 FROM t WHERE "year" = EXTRACT(YEAR FROM CURRENT_DATE) AND EXTRACT(MONTH FROM CURRENT_DATE) = "month"')
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
