"""Run SQL written for Redshift on the local PostgreSQL stand-in, unchanged.

What cannot be a database function is rewritten here with sqlglot (parse as Redshift,
transform the tree, generate PostgreSQL):

* quoted identifiers are case-folded like Redshift does by default
  (``enable_case_sensitive_identifier`` off): ``"SCHEMA"`` is the column ``schema``;
* ``LISTAGG(x)`` without a delimiter concatenates with no separator, as in Redshift;
* a string column compared with a number (``"year" = EXTRACT(YEAR FROM CURRENT_DATE)``):
  Redshift casts implicitly, PostgreSQL refuses; the number side becomes text, which keeps
  indexes on the string column usable.

``json_extract_path_text(varchar, ..., TRUE)`` is bridged in the database itself
(include/sql/warehouse/compat.sql), so BI tools connecting directly get it too.
"""

from __future__ import annotations

import sqlglot
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


def redshift_to_postgres(sql: str) -> list[str]:
    """Translate one or more Redshift statements into PostgreSQL statements."""
    statements = []
    for tree in sqlglot.parse(sql, read="redshift"):
        if tree is None:
            continue
        tree = tree.transform(_fold_identifier).transform(_listagg_separator).transform(_string_number_comparison)
        statements.append(tree.sql(dialect="postgres"))
    return statements
