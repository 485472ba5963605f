"""`datalake init` on a PostgreSQL the local platform's bootstrap never touched.

A DBA hands over an empty database owned by a login role (no ALTER DATABASE settings, no
search_path). After `datalake init` the docs' Example 1 runs through `datalake query`, and
the same query runs for logins that never saw init: a tenant credential and a plain role
connecting directly, the way a BI tool does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest

from datalake.entity_schema import ENTITY_COLUMNS

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DATALAKE = str(Path(sys.executable).parent / "datalake")
EXAMPLE_1 = (ROOT / "include" / "sql" / "examples" / "docs_example_1.sql").read_text()
OWNER, OWNER_PASSWORD = "dba_given_owner", "owner-pw-only-in-this-test"
BI_USER, BI_PASSWORD = "bi_tool_reader", "bi-pw-only-in-this-test"


@pytest.fixture(scope="module")
def bare_postgres(session_tmp, s3_server):
    """A second cluster: initdb + start only, then what a DBA would do by hand."""
    from datalake.config import WAREHOUSE_DATABASE
    from datalake_dev.local.ports import free_port
    from datalake_dev.local.postgres import LocalPostgres

    pg = LocalPostgres(session_tmp / "bare-postgres", free_port())
    pg.init()
    pg.start()
    with psycopg.connect(pg.superuser_conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {OWNER} LOGIN CREATEROLE PASSWORD '{OWNER_PASSWORD}'")
        conn.execute(f"CREATE ROLE {BI_USER} LOGIN PASSWORD '{BI_PASSWORD}'")
        conn.execute(f"CREATE DATABASE {WAREHOUSE_DATABASE} OWNER {OWNER}")
    with psycopg.connect(pg.superuser_conninfo(WAREHOUSE_DATABASE)) as conn:
        settings = conn.execute("SELECT count(*) FROM pg_db_role_setting").fetchone()[0]
        assert settings == 0, "the bare cluster must start without any per-database settings"
    uri = f"postgresql://{OWNER}:{OWNER_PASSWORD}@127.0.0.1:{pg.port}/{WAREHOUSE_DATABASE}"
    env = {
        **os.environ,
        "WAREHOUSE_URI": uri,
        "S3_ENDPOINT_URL": s3_server,
        "LANDING_BUCKET": "bare-landing",
        "LAKE_BUCKET": "bare-lake",
    }
    yield pg, uri, env
    pg.stop()


def _run(env, *args, check=True):
    result = subprocess.run([DATALAKE, *args], capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_init_makes_a_bare_postgres_answer_example_1_for_every_login(bare_postgres):
    pg, uri, env = bare_postgres
    _run(env, "init")

    org = "739224"
    now = datetime.now(timezone.utc)
    detail = json.dumps(
        {
            "org": org,
            "payload": {
                "_created_at": "2026-03-04T05:06:07.000Z",
                "source": {"title": "Wallbox Journey"},
            },
        }
    )
    row = {
        "id": "e1",
        "detail-type": "EntityOperation",
        "operation": "createEntity",
        "source": "entity-api",
        "account": org,
        "time": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "region": "eu-central-1",
        "activity_id": "01J0000000000000000000001",
        "entity_id": "ent-1",
        "detail": detail,
        "schema": "opportunity",
        "month": str(now.month),
        "year": str(now.year),
    }
    cols = ", ".join(f'"{c}"' for c in ENTITY_COLUMNS)
    with psycopg.connect(uri) as conn:
        conn.execute(
            f"INSERT INTO epilot_datalake.entity_operations ({cols}) "
            f"VALUES ({', '.join(['%s'] * len(ENTITY_COLUMNS))})",
            [row[c] for c in ENTITY_COLUMNS],
        )
    expected = [("Wallbox Journey", 2026, 3, 1)]

    # 1. the pipeline's own login, through `datalake query`
    rows = json.loads(_run(env, "query", EXAMPLE_1, "--format", "json").stdout)
    assert [
        (title, int(year), int(month), int(count))
        for title, year, month, count in (tuple(r.values()) for r in rows)
    ] == expected

    # 2. a tenant credential, SQL sent unchanged the way a BI tool sends it (no sqlglot rewrite
    #    applies to the function call: json_extract_path_text(varchar, ..., TRUE) must resolve
    #    through the search_path init set)
    credential = json.loads(
        _run(env, "credentials", "generate", "--org", org, "--format", "json").stdout
    )
    with psycopg.connect(
        host="127.0.0.1",
        port=pg.port,
        dbname=credential["database"],
        user=credential["username"],
        password=credential["password"],
    ) as conn:
        # A credential's own search path: its organisation's typed tables first, then the rest.
        path = conn.execute("SHOW search_path").fetchone()[0].split(", ")
        assert path[0].startswith("t_") and path[1:] == ["epilot_datalake", "redshift_compat"]
        assert conn.execute("SHOW timezone").fetchone()[0] == "UTC"
        title = conn.execute(
            "SELECT json_extract_path_text(detail, 'payload', 'source', 'title', TRUE) "
            "FROM entity_operations"
        ).fetchall()
        assert title == [("Wallbox Journey",)]

    # 3. any other login of the database (a BI tool's own role) finds the compat functions too
    with psycopg.connect(
        host="127.0.0.1", port=pg.port, dbname="epilot_datalake", user=BI_USER, password=BI_PASSWORD
    ) as conn:
        value = conn.execute(
            """SELECT json_extract_path_text('{"a": {"b": "x"}}'::varchar, 'a', 'b', TRUE), """
            "json_extract_path_text('not json'::varchar, 'a', TRUE)"
        ).fetchone()
        assert value == ("x", None)


def test_init_as_a_login_that_does_not_own_the_database_says_so(bare_postgres):
    pg, uri, env = bare_postgres
    with psycopg.connect(pg.superuser_conninfo(), autocommit=True) as conn:
        conn.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'not_owner') THEN "
            "CREATE ROLE not_owner LOGIN PASSWORD 'pw-not-owner'; END IF; END $$"
        )
    other = uri.replace(f"{OWNER}:{OWNER_PASSWORD}", "not_owner:pw-not-owner")
    result = _run({**env, "WAREHOUSE_URI": other}, "init", check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_init_as_a_superuser_applies_the_superuser_hardening_itself(bare_postgres, s3_server):
    """A superuser running `datalake init` gets no "a superuser should run ..." warning: the
    hardening is applied, and a login of that database can no longer take advisory locks or
    read per-table statistics."""
    pg, _uri, env = bare_postgres
    with psycopg.connect(pg.superuser_conninfo(), autocommit=True) as conn:
        conn.execute("CREATE ROLE dba_super LOGIN SUPERUSER PASSWORD 'super-pw-only-in-this-test'")
        conn.execute("CREATE DATABASE superuser_init OWNER dba_super")
    uri = f"postgresql://dba_super:super-pw-only-in-this-test@127.0.0.1:{pg.port}/superuser_init"
    result = _run({**env, "WAREHOUSE_URI": uri}, "init")
    assert "warning" not in result.stderr, result.stderr
    with psycopg.connect(uri) as conn:
        public_can = conn.execute(
            "SELECT has_function_privilege('public', 'pg_catalog.pg_advisory_lock(bigint)', "
            "'EXECUTE'), "
            "has_table_privilege('public', 'pg_catalog.pg_stat_all_tables', 'SELECT')"
        ).fetchone()
        assert public_can == (False, False)
    with psycopg.connect(
        host="127.0.0.1", port=pg.port, dbname="superuser_init", user=BI_USER, password=BI_PASSWORD
    ) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT pg_advisory_lock(42)")
