"""Run SQL written for Redshift on the local PostgreSQL stand-in, unchanged.

What cannot be a database function is rewritten here with sqlglot (parse as Redshift,
transform the tree, generate PostgreSQL):

* quoted identifiers are case-folded like Redshift does by default
  (``enable_case_sensitive_identifier`` off): ``"SCHEMA"`` is the column ``schema``;
* ``LISTAGG(x)`` without a delimiter concatenates with no separator, as in Redshift;
* a string column compared with a number (``"year" = EXTRACT(YEAR FROM CURRENT_DATE)``):
  Redshift casts implicitly, PostgreSQL refuses; the number side becomes text, which keeps
  indexes on the string column usable;
* ``DATEDIFF(unit, a, b)`` for units from microsecond to day counts the unit *boundaries*
  crossed between a and b, as Redshift does (``DATEDIFF(day, '2026-01-01 23:00',
  '2026-01-02 01:00')`` is 1). sqlglot's own rewrite rounds the elapsed time instead (2 h -> 0
  days, 0.6 s -> 1 second) and casts ``timestamptz`` to ``timestamp``, which depends on the
  session time zone; here both ends become epoch seconds (UTC for ``timestamptz``, nominal for
  ``timestamp``/``date``, like Redshift), floored to the unit.

``json_extract_path_text(varchar, ..., TRUE)`` is bridged in the database itself
(include/sql/warehouse/compat.sql), so BI tools connecting directly get it too.
"""

from __future__ import annotations

import re

import sqlglot
import sqlglot.errors
from sqlglot import exp

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def _fold_identifier(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Identifier) and node.quoted:
        node.set("this", node.this.lower())
    return node


def _listagg_separator(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.GroupConcat) and node.args.get("separator") is None:
        node.set("separator", exp.Literal.string(""))
    return node


def _as_text(node: exp.Expression) -> exp.Expression:
    # EXTRACT returns numeric in PostgreSQL: '11' must match, not '11.000'.
    if isinstance(node, exp.Extract):
        node = exp.cast(node, exp.DataType.build("BIGINT"))
    return exp.cast(node, exp.DataType.build("VARCHAR"))


def _string_number_comparison(node: exp.Expression) -> exp.Expression:
    """column <op> EXTRACT(...)  ->  column <op> CAST(CAST(EXTRACT(...) AS BIGINT) AS VARCHAR).

    Only applied when the other side is a plain column: the warehouse columns compared
    with numbers in the docs (year, month) are strings, unpadded so the text compares equal.
    """
    if not isinstance(node, _COMPARISONS):
        return node
    left, right = node.this, node.expression
    if isinstance(left, exp.Column) and isinstance(right, exp.Extract):
        node.set("expression", _as_text(right))
    elif isinstance(right, exp.Column) and isinstance(left, exp.Extract):
        node.set("this", _as_text(left))
    return node


# DATEDIFF units measured on the epoch: seconds per unit.
_EPOCH_UNITS = {
    "MICROSECOND": 1e-6,
    "MILLISECOND": 1e-3,
    "SECOND": 1,
    "MINUTE": 60,
    "HOUR": 3600,
    "DAY": 86400,
}


def _epoch_units(node: exp.Expression, seconds: float) -> exp.Expression:
    if isinstance(node, exp.Literal) and node.is_string:
        node = exp.cast(node, exp.DataType.build("TIMESTAMP"))
    epoch = exp.Extract(this=exp.var("EPOCH"), expression=node.copy())
    if seconds < 1:
        scaled = exp.Mul(this=epoch, expression=exp.Literal.number(int(round(1 / seconds))))
    elif seconds == 1:
        scaled = epoch
    else:
        scaled = exp.Div(this=epoch, expression=exp.Literal.number(seconds))
    return exp.Floor(this=scaled)


def _datediff_boundaries(node: exp.Expression) -> exp.Expression:
    """DATEDIFF(unit, start, end) -> FLOOR(epoch(end) / unit) - FLOOR(epoch(start) / unit)."""
    if not isinstance(node, (exp.TsOrDsDiff, exp.DateDiff)):
        return node
    unit = node.args.get("unit")
    name = unit.name.upper() if unit is not None else "DAY"
    if name not in _EPOCH_UNITS:
        return node  # week, month, quarter, year: calendar arithmetic, left to sqlglot
    seconds = _EPOCH_UNITS[name]
    diff = exp.Sub(
        this=_epoch_units(node.this, seconds), expression=_epoch_units(node.expression, seconds)
    )
    return exp.cast(exp.Paren(this=diff), exp.DataType.build("BIGINT"))


class SqlSyntaxError(ValueError):
    """SQL that does not parse as Redshift; the message is one line: what is wrong and where."""


def _syntax_error(exc: Exception) -> SqlSyntaxError:
    details = getattr(exc, "errors", None) or []
    if not details:  # a TokenError: an unterminated string or quoted identifier, no position
        return SqlSyntaxError(
            f"SQL syntax error: {str(exc).splitlines()[0]} (unterminated string or quote?)"
        )
    first = details[0]
    what = first.get("description") or "invalid SQL"
    # sqlglot names the end of the text by its internal sentinel token.
    what = re.sub(r"<Token token_type: TokenType\.SENTINEL.*?>", "end of input", what)
    what = re.sub(r"<Token token_type: TokenType\.\w+, text: (.*?), line.*?>", r"'\1'", what)
    what = re.sub(
        r"<class 'sqlglot\.expressions(?:\.\w+)*\.(\w+)'>", lambda m: m.group(1).upper(), what
    )
    near = (first.get("highlight") or "").strip()
    where = f"line {first.get('line')}, column {first.get('col')}"
    return SqlSyntaxError(f"SQL syntax error at {where}{f' near {near!r}' if near else ''}: {what}")


def redshift_to_postgres(sql: str) -> list[str]:
    """Translate one or more Redshift statements into PostgreSQL statements.

    Raises SqlSyntaxError (a ValueError, printed as one line by the CLI) for SQL that does
    not parse.
    """
    statements = []
    try:
        trees = sqlglot.parse(sql, read="redshift")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as exc:
        raise _syntax_error(exc) from None
    for tree in trees:
        if tree is None:
            continue
        tree = (
            tree.transform(_fold_identifier)
            .transform(_listagg_separator)
            .transform(_string_number_comparison)
        )
        tree = tree.transform(_datediff_boundaries)
        statements.append(tree.sql(dialect="postgres"))
    return statements
