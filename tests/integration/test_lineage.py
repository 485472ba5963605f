"""OpenLineage: a real hourly run (dag.test() with the OpenLineage provider's listener) emits
lineage events whose inputs and outputs are the landing prefix, the lake and the warehouse
tables, through the provider's file transport. The run happens in a child Python because the
listener is registered when Airflow loads its plugins, once per process, and only when a
transport is configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from datalake.s3 import s3_client
from datalake_dev.producer import ProducerConfig, simulate, upload

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HOUR = datetime(2026, 11, 3, 7, tzinfo=timezone.utc)
RUN = f"""
import sys
sys.path.insert(0, {str(ROOT / "tests" / "integration")!r})
from datetime import datetime
from dagrun import run_hourly
hour = datetime.fromisoformat({HOUR.isoformat()!r})
print("STATE", run_hourly("entity_operations_hourly", hour).state)
"""


def test_an_hourly_run_emits_its_inputs_and_outputs(clean_platform, airflow_db, tmp_path):
    upload(
        simulate(HOUR, 1, ProducerConfig(seed=5)),
        s3_client(clean_platform),
        clean_platform.landing_bucket,
    )
    events_file = tmp_path / "openlineage.jsonl"
    env = {
        **os.environ,
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(events_file), "append": True}
        ),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "datalake-test",
        "PYTHONPATH": str(ROOT / "plugins"),
    }
    result = subprocess.run(
        [sys.executable, "-c", RUN], env=env, capture_output=True, text=True, timeout=600
    )
    assert "STATE success" in result.stdout, (result.stdout[-2000:], result.stderr[-4000:])

    events = [json.loads(line) for line in events_file.read_text().splitlines() if line.strip()]
    load = [e for e in events if e["job"]["name"] == "entity_operations_hourly.load_warehouse"]
    jobs = sorted({e["job"]["name"] for e in events})
    assert {e["eventType"] for e in load} >= {"START", "COMPLETE"}, jobs
    complete = next(e for e in load if e["eventType"] == "COMPLETE")
    inputs = {(d["namespace"], d["name"]) for d in complete["inputs"]}
    outputs = {(d["namespace"], d["name"]) for d in complete["outputs"]}
    warehouse = "redshift://" + urlsplit_netloc(clean_platform.warehouse_uri)
    assert inputs == {(f"s3://{clean_platform.landing_bucket}", "entity_operations")}
    assert outputs == {
        (warehouse, "epilot_datalake.epilot_datalake.entity_operations"),
        (warehouse, "epilot_datalake.epilot_datalake.current_entities"),
        (f"s3://{clean_platform.lake_bucket}", "entity_operations"),
    }
    # Every task of the run reported its start and end.
    tasks = {"plan_batches", "process_batch", "assess_hour", "load_warehouse"}
    completed = {e["job"]["name"].split(".", 1)[1] for e in events if e["eventType"] == "COMPLETE"}
    assert tasks <= completed


def urlsplit_netloc(uri: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    return f"{parts.hostname}:{parts.port}"
