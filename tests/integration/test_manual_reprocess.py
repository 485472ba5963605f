"""Manual runs of the hourly DAG over a validated window, under real Airflow (dag.test)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from dagrun import run_dag
from entity_truth import expected_rows

from datalake.s3 import s3_client
from datalake.warehouse import connect
from datalake_dev.producer import ProducerConfig, simulate, upload

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 7, 3, tzinfo=timezone.utc)


def loaded_ids(settings):
    with connect(settings) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM epilot_datalake.entity_operations")}


def test_window_dry_run_then_load_then_bad_window(clean_platform, airflow_db, capfd):
    objects = simulate(START, 3, ProducerConfig(seed=21))
    upload(objects, s3_client(clean_platform), clean_platform.landing_bucket)
    window = {"start": START.isoformat(), "end": (START + timedelta(hours=3)).isoformat()}

    dry = run_dag("entity_operations_hourly", conf={**window, "steps": ["validate"]})
    assert dry.state == "success"
    assert loaded_ids(clean_platform) == set()
    # Validate-only writes the quarantine report and leaves no staged Parquet behind.
    from datalake.s3 import iter_keys

    lake = [key for key, _ in iter_keys(s3_client(clean_platform), clean_platform.lake_bucket, "")]
    assert not [k for k in lake if k.startswith("_staging/")], lake

    real = run_dag("entity_operations_hourly", conf=window)
    assert real.state == "success"
    assert loaded_ids(clean_platform) == set(expected_rows(objects))
    with connect(clean_platform) as conn:
        keys = {
            r[0]
            for r in conn.execute(
                "SELECT run_key FROM datalake_ops.run_manifest "
                "WHERE pipeline = 'entity_operations_hourly'"
            )
        }
    assert keys == {"2026110703", "2026110704", "2026110705"}

    capfd.readouterr()
    bad = run_dag("entity_operations_hourly", conf={"start": window["end"], "end": window["start"]})
    assert bad.state == "failed"
    states = {ti.task_id: ti.state for ti in bad.get_task_instances()}
    assert states["plan_batches"] == "failed" and states["load_warehouse"] != "success"
    out = capfd.readouterr()
    text = out.out + out.err
    assert "is not after start" in text
    assert "DATALAKE FAILURE dag=entity_operations_hourly" in text and "task=plan_batches" in text
