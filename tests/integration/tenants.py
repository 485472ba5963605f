"""A tenant's login with an issued credential, as a BI tool or psql makes it (shared by the
credential, hostile-tenant and typed-table tests)."""

from __future__ import annotations

import psycopg


def login(cred, password=None, **kw):
    """An autocommit session of the credential (or of `password` for its user)."""
    return psycopg.connect(
        host="127.0.0.1",
        port=cred.port,
        user=cred.username,
        password=password or cred.password,
        dbname=cred.database,
        autocommit=True,
        connect_timeout=5,
        **kw,
    )
