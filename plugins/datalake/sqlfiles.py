"""SQL lives in include/sql/ as files; this finds and renders them."""

from __future__ import annotations

from functools import lru_cache

from datalake.config import PROJECT_ROOT

SQL_ROOT = PROJECT_ROOT / "include" / "sql"


@lru_cache(maxsize=None)
def read_sql(relative: str) -> str:
    path = SQL_ROOT / relative
    if not path.exists():
        raise FileNotFoundError(f"SQL file {path} not found")
    return path.read_text()


@lru_cache(maxsize=None)
def _template(relative: str):
    """The compiled template (compiling costs milliseconds: callers render some per table)."""
    import jinja2

    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    return env.from_string(read_sql(relative))


def render_sql(relative: str, **params: str) -> str:
    """Render a Jinja template from include/sql/; values are inserted as given, so callers
    pass only identifiers they validated or literals they quoted."""
    return _template(relative).render(**params)


def statements(sql: str) -> list[str]:
    """Split a SQL file into statements (psycopg runs one parameterised statement at a time)."""
    import sqlparse

    return [
        s.strip().rstrip(";")
        for s in sqlparse.split(sql)
        if sqlparse.format(s, strip_comments=True).strip()
    ]


def execute_file(conn, relative: str, params: dict | None = None, **render) -> list[int]:
    """Run every statement of include/sql/<relative> on conn; returns each rowcount."""
    sql = render_sql(relative, **render) if render else read_sql(relative)
    counts = []
    for statement in statements(sql):
        cur = conn.execute(statement, params if params and "%(" in statement else None)
        counts.append(cur.rowcount)
    return counts


def query_file(conn, relative: str, params: dict | None = None, **render) -> list[tuple]:
    """Run every statement of include/sql/<relative> on conn; returns the last one's rows."""
    sql = render_sql(relative, **render) if render else read_sql(relative)
    rows: list[tuple] = []
    for statement in statements(sql):
        cur = conn.execute(statement, params if params and "%(" in statement else None)
        rows = cur.fetchall() if cur.description is not None else []
    return rows


def statement_of(relative: str, **render) -> str:
    """The one statement of include/sql/<relative>, rendered: for a server-side cursor."""
    (statement,) = statements(render_sql(relative, **render))
    return statement
