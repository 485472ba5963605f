"""Where the typed tables' refresh differs on Redshift: the statements of
include/sql/redshift/typed/ replace their twins in include/sql/typed/, and columns get
Redshift's types.

Where Redshift differs (AWS Redshift Database Developer Guide): no jsonb, the payload is
SUPER from JSON_PARSE and its attributes are listed with UNPIVOT (PartiQL), once, into a
temporary table of (entity, attribute, kind, value as text) that every later statement reads
with plain SQL; VARCHAR lengths are bytes and TEXT is VARCHAR(256), so text columns are
VARCHAR(65535); NUMERIC without precision is NUMERIC(18,0), so numbers are NUMERIC(38,12); no
arrays (lists are rendered as literals); no ON CONFLICT or data-modifying CTEs, and MERGE takes
a table as its source; no indexes; no ON COMMIT DROP (temporary tables are dropped by the
refresh); DELETE takes no table alias; the search path is a user setting
(ALTER USER ... SET search_path).
"""

from __future__ import annotations

from functools import lru_cache

from datalake.sqlfiles import SQL_ROOT
from datalake.typed.kinds import REDSHIFT_TYPES

# ISO-8601 date and time with field ranges; TRY_CAST then weeds out a 30 February.
TIMESTAMP_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$"
)
# Redshift reports the PostgreSQL version it forked from (8.0.2) as server_version.
REDSHIFT_SERVER_VERSION = "8.0"


def on_redshift(conn) -> bool:
    """Whether conn is a Redshift session (no round trip: the server's startup parameter)."""
    version = conn.info.parameter_status("server_version") or ""
    return version.startswith(REDSHIFT_SERVER_VERSION)


def check_dialect(conn, settings_say_redshift: bool) -> None:
    """The statements follow the server the session is on; the settings (WAREHOUSE_KIND, the
    URI) must say the same, or every other task would send the other warehouse's SQL."""
    if on_redshift(conn) != settings_say_redshift:
        server = "Redshift" if on_redshift(conn) else "PostgreSQL"
        raise ValueError(
            f"the warehouse server is {server} but the settings say otherwise: "
            "set WAREHOUSE_KIND (docs/redshift.md, 'Which warehouse')"
        )


def sql_file(conn, relative: str) -> str:
    """include/sql/<relative>, or its Redshift twin under redshift/ on a Redshift session."""
    if not relative.startswith("typed/") or not on_redshift(conn):
        return relative
    return _twin(relative)


@lru_cache(maxsize=None)
def _twin(relative: str) -> str:
    """The Redshift twin's path when the file has one: looked up once per file, not once per
    statement of every organisation."""
    twin = f"redshift/{relative}"
    return twin if (SQL_ROOT / twin).exists() else relative


def columns(postgres_columns: list, kinds: list[str]) -> list:
    """The templates' columns (refresh._columns_sql) with Redshift's types, each column's
    kind, and Redshift's test of whether a value fits (TRY_CAST for pg_input_is_valid)."""
    from dataclasses import replace

    return [
        replace(column, type=REDSHIFT_TYPES[kind], kind=kind, fits=fits(column.name, column.fits))
        for column, kind in zip(postgres_columns, kinds, strict=True)
    ]


def fits(column: str, predicate: str | None) -> str | None:
    """A refresh.fits_predicate for Redshift: TRY_CAST where PostgreSQL's has pg_input_is_valid."""
    if predicate and "pg_input_is_valid" in predicate:
        matches = f"{column} ~ '{TIMESTAMP_PATTERN}'"
        return (
            f"{matches} AND TRY_CAST(CASE WHEN {matches} THEN {column} END AS TIMESTAMPTZ) "
            "IS NOT NULL"
        )
    return predicate


# One catalog row as a VALUES tuple (refresh.CATALOG_FIELDS, in the table's order).
CATALOG_ROW = (
    "(%(entity_schema)s, %(table_name)s, %(attribute)s, %(column_name)s, %(type)s, "
    "%(ordinal)s, %(first_seen)s, %(last_seen)s, %(rows_with_value)s, %(values_not_fitting)s, "
    "%(widened_from)s)"
)


def rows_sql(conn, rows: list[dict]) -> str:
    """The catalog's rows as a VALUES list of literals (bound client-side by psycopg), for the
    Redshift twin of catalog_rows.sql: Redshift has no jsonb_to_recordset."""
    from psycopg import ClientCursor

    cursor = ClientCursor(conn)
    return ",\n".join(cursor.mogrify(CATALOG_ROW, row) for row in rows)
