"""The PostgreSQL path through the Redshift double's wire quirks (client_encoding UNICODE,
server_version 8.0.2, no DEALLOCATE ALL) in front of the test
PostgreSQL, with a postgresql:// URI (so the code takes its PostgreSQL path): connect,
`datalake query`, `datalake credentials list` and a whole hourly load work through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DATALAKE = str(Path(sys.executable).parent / "datalake")


@pytest.fixture
def wire(postgres_server, redshift_double):
    pg, uri = postgres_server
    parts = urlsplit(uri)
    redshift_double.refused.clear()
    yield (
        redshift_double,
        parts._replace(
            netloc=parts.netloc.replace(f":{pg.port}", f":{redshift_double.port}")
        ).geturl(),
    )


def _python(code: str, uri: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, uri],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT / "plugins")},
    )


def test_the_double_is_faithful_psycopg_out_of_the_box_fails(platform, wire):
    proxy, uri = wire
    # UNICODE decodes: psycopg 3.3.9 has the alias built in (psycopg/_encodings.py, "Unicode");
    # datalake.redshift registers it too, for older psycopg versions.
    plain = _python(
        "import sys, psycopg; c = psycopg.connect(sys.argv[1]); "
        "print(c.pgconn.parameter_status(b'client_encoding').decode(), c.info.server_version, "
        "c.info.encoding)",
        uri,
    )
    assert plain.stdout.split() == ["UNICODE", "80002", "utf-8"], plain.stderr
    # Out of the box psycopg prepares a statement run 5 times (fine: Redshift's drivers use
    # named statements too) and resets its cache with DEALLOCATE ALL after a rollback: refused.
    prepared = _python(
        "import sys, psycopg; c = psycopg.connect(sys.argv[1])\n"
        "for _ in range(8): c.execute('SELECT %s::text', ['x'])\n"
        "c.rollback(); c.execute('SELECT 1')",
        uri,
    )
    assert "DEALLOCATE ALL is not supported by Amazon Redshift" in prepared.stderr
    assert any("DEALLOCATE ALL" in r for r in proxy.refused)
    proxy.refused.clear()


def test_connect_as_the_pipeline_does(platform, wire):
    from datalake.warehouse import connect

    proxy, uri = wire
    with connect(platform, uri=uri) as conn:
        assert conn.info.parameter_status("client_encoding") == "UNICODE"
        for _ in range(10):  # past psycopg's prepare threshold: nothing is prepared
            assert conn.execute("SELECT %s::text || 'ü'", ["ä"]).fetchone() == ("äü",)
    assert proxy.refused == []


def test_query_through_the_double(clean_platform, wire):
    """`datalake query` as the read-only reader: its transaction starts with BEGIN READ ONLY
    (Redshift has no SET TRANSACTION, and the double refuses it)."""
    proxy, uri = wire
    env = {**os.environ, "WAREHOUSE_URI": uri}
    example = ROOT / "include" / "sql" / "examples" / "docs_example_1.sql"
    query = subprocess.run(
        [DATALAKE, "query", "--file", str(example), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert query.returncode == 0, query.stderr
    assert json.loads(query.stdout) == []
    assert proxy.refused == []


def test_credentials_list_through_the_double(clean_platform, wire):
    _, uri = wire
    listing = subprocess.run(
        [DATALAKE, "credentials", "list", "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "WAREHOUSE_URI": uri},
        timeout=120,
    )
    assert listing.returncode == 0, listing.stderr
    assert isinstance(json.loads(listing.stdout), list)
