"""DAG entity_operations_hourly under real Airflow (dag.test), real S3 server and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from dagrun import run_hourly
from lakes import lake_digest

from datalake.s3 import s3_client
from datalake.warehouse import connect
from datalake_dev.producer import ProducerConfig, simulate, upload

pytestmark = pytest.mark.integration

HOUR = datetime(2026, 11, 2, 10, tzinfo=timezone.utc)


def table_dump(settings) -> dict[str, list]:
    with connect(settings) as conn:
        return {
            t: conn.execute(f"SELECT * FROM epilot_datalake.{t} ORDER BY 1, 2").fetchall()
            for t in ("entity_operations", "current_entities", "entity_latest_operation")
        }


def test_dag_run_loads_the_hour_and_a_rerun_changes_nothing(
    clean_platform, airflow_db, warehouse_mode, request
):
    objects = simulate(HOUR, 1, ProducerConfig(seed=11))
    upload(objects, s3_client(clean_platform), clean_platform.landing_bucket)

    first = run_hourly("entity_operations_hourly", HOUR)
    assert first.state == "success"
    lake, tables = lake_digest(clean_platform), table_dump(clean_platform)
    assert tables["entity_operations"], "nothing loaded"
    assert any(k.startswith("entity_operations/year=2026/month=11/part-2026110210") for k in lake)
    manifest_key = "manifests/entity_operations/2026110210.json"
    assert manifest_key in lake
    # The manifest lists the run's curated files (what a rerun replaces), all of them in the
    # year=/month= folders, in both warehouse modes.
    import json

    manifest = json.loads(
        s3_client(clean_platform)
        .get_object(Bucket=clean_platform.lake_bucket, Key=manifest_key)["Body"]
        .read()
    )
    curated = sorted(k for k in lake if k.startswith("entity_operations/"))
    assert manifest["lake_files"] == curated
    assert all(
        k.startswith("entity_operations/year=2026/month=11/part-2026110210") for k in curated
    )
    if warehouse_mode == "redshift":
        double = request.getfixturevalue("redshift_double")
        assert double.unloads and double.unloads[-1]["rows"] == len(tables["entity_operations"])

    second = run_hourly("entity_operations_hourly", HOUR)
    assert second.state == "success"
    assert table_dump(clean_platform) == tables
    assert lake_digest(clean_platform) == lake
