"""`datalake query`: run Redshift SQL against the configured warehouse and print the rows."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from datalake.compat import redshift_to_postgres
from datalake.config import Settings, load_settings
from datalake.warehouse import connect


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]


def run_query(sql: str, settings: Settings | None = None, *, uri: str | None = None) -> QueryResult:
    """Run the statements (read-only transaction); the last statement's rows are returned.

    On Redshift the SQL runs as written, locally through the compatibility rewrite; on both it
    runs as datalake_reader, a login without any write privilege (`datalake init` creates it).
    """
    settings = settings or load_settings()
    if "\x00" in sql:
        raise ValueError("the SQL contains a NUL byte: binary input is not SQL text")
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the SQL is not UTF-8 text (binary input?)") from None
    target_is_redshift = settings.warehouse_is_redshift and uri is None
    if uri is None:
        from datalake.query_reader import reader_uri

        uri = reader_uri(settings)  # read-only by privileges, not only by transaction mode
    statements = [sql] if target_is_redshift else redshift_to_postgres(sql)
    if not statements:
        raise ValueError("no SQL statement given")
    result = QueryResult(columns=[], rows=[])
    # BEGIN READ ONLY, the form Redshift documents (its BEGIN page; SET TRANSACTION is not a
    # Redshift command), sent here on an autocommit connection: statements after a COMMIT in
    # the user's SQL then run under the login's own defaults, never in a transaction psycopg
    # opened for them.
    from psycopg.pq import TransactionStatus

    with connect(settings, uri=uri, autocommit=True) as conn:
        conn.execute("BEGIN READ ONLY")
        try:
            for statement in statements:
                cur = conn.execute(statement)
                if cur.description is not None:
                    result = QueryResult(
                        columns=[d.name for d in cur.description], rows=cur.fetchall()
                    )
        finally:
            if conn.info.transaction_status != TransactionStatus.IDLE:
                conn.execute("ROLLBACK")  # read-only: nothing to keep
    return result


def _text(value) -> str:
    if value is None:
        return ""
    return str(value)


def format_result(result: QueryResult, fmt: str = "table", max_width: int = 80) -> str:
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([[_text(v) for v in row] for row in result.rows])
        return buf.getvalue()
    if fmt == "json":
        return (
            json.dumps(
                [dict(zip(result.columns, row, strict=False)) for row in result.rows],
                default=str,
                indent=2,
            )
            + "\n"
        )
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}: use table, csv or json")
    from tabulate import tabulate

    def clip(value) -> str:
        text = _text(value)
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    body = tabulate(
        [[clip(v) for v in row] for row in result.rows], headers=result.columns, tablefmt="psql"
    )
    return f"{body}\n({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})\n"
