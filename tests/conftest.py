"""Session fixtures: a real S3 server (moto, over HTTP) and a real PostgreSQL (the pip-installed
binaries) on free ports, torn down at the end; an isolated AIRFLOW_HOME.

Environment variables are set before anything imports Airflow, so every test (and every
Airflow task run by dag.test()) sees the test platform, never a developer's running one.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "dev"))

_SESSION_TMP = Path(tempfile.mkdtemp(prefix="datalake-tests-"))
os.environ["AIRFLOW_HOME"] = str(_SESSION_TMP / "airflow")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["DATALAKE_STATE_DIR"] = str(_SESSION_TMP / "state")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
# Nothing from a developer's shell may point the tests at a live platform.
for _key in ("S3_ENDPOINT_URL", "LANDING_BUCKET", "LAKE_BUCKET", "WAREHOUSE_URI", "AIRFLOW_URL"):
    os.environ.pop(_key, None)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def session_tmp() -> Path:
    return _SESSION_TMP


@pytest.fixture(scope="session")
def s3_server(session_tmp):
    """moto in server mode on a free port: the real S3 API over HTTP."""
    from datalake_dev.local.scratch_platform import s3_server

    with s3_server(session_tmp / "logs") as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def postgres_server(session_tmp):
    """A real PostgreSQL 16 cluster on a free port, bootstrapped like `make run` does."""
    from datalake_dev.local.scratch_platform import postgres_server

    with postgres_server(session_tmp / "postgres") as (pg, uri):
        yield pg, uri


@pytest.fixture(scope="session")
def platform(s3_server, postgres_server):
    """Both servers, with buckets and warehouse schema, exported as the status variables."""
    from datalake_dev.local.scratch_platform import use_platform

    _, uri = postgres_server
    return use_platform(s3_server, uri, landing_bucket="test-landing", lake_bucket="test-lake")


@pytest.fixture(scope="module")
def superuser(postgres_server):
    """An autocommit connection as the test cluster's superuser (what the local bootstrap is)."""
    import psycopg

    pg, _ = postgres_server
    from datalake.config import WAREHOUSE_DATABASE

    with psycopg.connect(pg.superuser_conninfo(WAREHOUSE_DATABASE), autocommit=True) as conn:
        yield conn


@pytest.fixture
def warehouse_conn(platform):
    """A connection to the test warehouse; whatever the test did in it is rolled back."""
    from datalake.warehouse import connect

    with connect(platform) as conn:
        yield conn
        conn.rollback()


@pytest.fixture
def clean_platform(platform):
    """Empty buckets and warehouse tables before a test that loads data."""
    from datalake.s3 import s3_client
    from datalake.warehouse import connect
    from datalake_dev.local.scratch_platform import empty_buckets

    empty_buckets(s3_client(platform), (platform.landing_bucket, platform.lake_bucket))
    with connect(platform) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('epilot_datalake', 'datalake_ops') "
            "AND table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            if (schema, table) == ("datalake_ops", "credentials"):
                continue  # the registry of real roles; the credential tests revoke their own
            conn.execute(f'DELETE FROM "{schema}"."{table}"')
        conn.commit()
    return platform


@pytest.fixture(scope="session")
def airflow_db():
    """An initialised Airflow metadata DB (SQLite in the session's AIRFLOW_HOME) for dag.test()."""
    import subprocess

    airflow = Path(sys.executable).parent / "airflow"
    result = subprocess.run(
        [str(airflow), "db", "migrate"], capture_output=True, text=True, env=os.environ.copy()
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return os.environ["AIRFLOW_HOME"]


# -- the Redshift double ------------------------------------------------------------------
# One double for the session, in front of the session's PostgreSQL and moto S3
# (dev/datalake_dev/redshift_double, docs/redshift.md). Tests that run in both warehouse
# modes take `warehouse_mode` (parametrised 'postgres' | 'redshift'): in 'redshift' mode
# WAREHOUSE_URI is a redshift:// URI of the double for the test (DAG tasks and `datalake`
# commands read it) and REDSHIFT_IAM_ROLE names the role COPY/UNLOAD use.
TEST_IAM_ROLE = "arn:aws:iam::123456789012:role/datalake-test-copy"


@pytest.fixture(scope="session")
def redshift_double(platform, postgres_server, s3_server):
    """A started Redshift double (provisioned mode) in front of the test PostgreSQL and S3."""
    from datalake_dev.redshift_double import RedshiftDouble

    _, uri = postgres_server
    double = RedshiftDouble(uri, s3_server).start()
    # The Redshift DDL through the double (what `datalake init` runs on Redshift; the tables
    # exist already, IF NOT EXISTS adds what only Redshift has, e.g. the writers' lock tables).
    # The tenant isolation is left out: its RLS would change the PostgreSQL tests' database.
    from datalake.sqlfiles import execute_file
    from datalake.warehouse import connect

    with connect(redshift_settings(platform, double)) as conn:
        execute_file(conn, "redshift/ddl.sql")
        conn.commit()
    yield double
    double.stop()


def redshift_settings(settings, double):
    """The settings with the warehouse reached through the double, as the admin."""
    import dataclasses
    from urllib.parse import urlsplit

    parts = urlsplit(settings.warehouse_uri)
    return dataclasses.replace(
        settings,
        warehouse_uri=double.uri(parts.username, parts.password, "epilot_datalake"),
        redshift_iam_role=TEST_IAM_ROLE,
    )


@pytest.fixture(params=["postgres", "redshift"])
def warehouse_mode(request, platform, monkeypatch) -> str:
    """Run the test once on PostgreSQL and once through the Redshift double."""
    if request.param == "redshift":
        settings = redshift_settings(platform, request.getfixturevalue("redshift_double"))
        monkeypatch.setenv("WAREHOUSE_URI", settings.warehouse_uri)
        monkeypatch.setenv("REDSHIFT_IAM_ROLE", TEST_IAM_ROLE)
    return request.param


@pytest.fixture
def mode_settings(warehouse_mode, platform):
    """The settings of the current warehouse mode (pass them where a test passes `platform`)."""
    from datalake.config import load_settings

    return load_settings() if warehouse_mode == "redshift" else platform
