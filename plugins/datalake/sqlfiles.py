"""SQL lives in include/sql/ as files; this finds and renders them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from datalake.config import PROJECT_ROOT

SQL_ROOT = PROJECT_ROOT / "include" / "sql"


@lru_cache(maxsize=None)
def read_sql(relative: str) -> str:
    path = SQL_ROOT / relative
    if not path.exists():
        raise FileNotFoundError(f"SQL file {path} not found")
    return path.read_text()


def render_sql(relative: str, **params: str) -> str:
    """Render a Jinja template from include/sql/; values are inserted as given, so callers
    pass only identifiers they validated or literals they quoted."""
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    return env.from_string(read_sql(relative)).render(**params)


def sql_path(relative: str) -> Path:
    return SQL_ROOT / relative
