"""The DAG run through the connections alone, as `make run` hands them to Airflow
(airflow_settings.yaml as AIRFLOW_CONN_* / AIRFLOW_VAR_*; no S3_ENDPOINT_URL or WAREHOUSE_URI
in the environment): S3 through S3Hook on aws_default, the warehouse through redshift_default
read like RedshiftSQLHook (password login)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from dagrun import run_hourly

from datalake.s3 import s3_client
from datalake.warehouse import connect
from datalake_dev.producer import ProducerConfig, simulate, upload

pytestmark = pytest.mark.integration

HOUR = datetime(2026, 11, 5, 6, tzinfo=timezone.utc)


def test_hourly_run_from_the_local_connections_only(
    clean_platform, airflow_db, s3_server, postgres_server, monkeypatch
):
    from datalake.config import load_settings
    from datalake_dev.local.airflow_settings import airflow_env, load_airflow_settings

    pg, _ = postgres_server
    env = airflow_env(load_airflow_settings(), s3_endpoint=s3_server, warehouse_port=pg.port)
    for key in ("S3_ENDPOINT_URL", "WAREHOUSE_URI", "LANDING_BUCKET", "LAKE_BUCKET"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AIRFLOW_VAR_DATALAKE_LANDING_BUCKET", clean_platform.landing_bucket)
    monkeypatch.setenv("AIRFLOW_VAR_DATALAKE_LAKE_BUCKET", clean_platform.lake_bucket)

    settings = load_settings(use_airflow=True)
    assert (
        settings.sources["S3_ENDPOINT_URL"] == "airflow" and settings.aws_conn_id == "aws_default"
    )
    assert settings.warehouse_conn_id == "redshift_default"
    upload(simulate(HOUR, 1, ProducerConfig(seed=21)), s3_client(settings), settings.landing_bucket)

    assert run_hourly("entity_operations_hourly", HOUR).state == "success"
    with connect(clean_platform) as conn:
        assert (
            conn.execute("SELECT count(*) FROM epilot_datalake.entity_operations").fetchone()[0] > 0
        )
