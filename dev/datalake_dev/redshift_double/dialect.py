"""Redshift query syntax PostgreSQL reads differently, for SELECTs sent through the double:
the project's own translation (datalake.compat, sqlglot: quoted identifiers case-folded,
LISTAGG, ...) is reused rather than written twice; other statements pass unchanged."""

from __future__ import annotations

import re

_QUERY = re.compile(r"^\s*(\(\s*)*(SELECT|WITH)\b", re.IGNORECASE)


def to_postgres(sql: str) -> str:
    if not _QUERY.match(sql) or "$1" in sql:
        return sql
    try:
        from datalake.compat import redshift_to_postgres

        translated = redshift_to_postgres(sql)
    except Exception:  # PostgreSQL gives the error, as it would for any statement
        return sql
    return translated[0] if len(translated) == 1 else sql
