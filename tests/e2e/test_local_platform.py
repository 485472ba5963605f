"""`make run` for real: the local platform comes up from scratch (embedded PostgreSQL, moto S3,
Airflow standalone), reports healthy, receives events, loads the seeded hours through a real
scheduler backfill, answers the docs' queries, and `make stop` ends every process it started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DATALAKE = str(Path(sys.executable).parent / "datalake")


def _env(state_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("S3_ENDPOINT_URL", "LANDING_BUCKET", "LAKE_BUCKET", "WAREHOUSE_URI", "AIRFLOW_URL", "AIRFLOW_HOME")
           and not k.startswith("AIRFLOW__")}
    env["DATALAKE_STATE_DIR"] = str(state_dir)
    return env


def _datalake(env, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([DATALAKE, *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_run_command_brings_up_a_healthy_platform_and_stop_ends_it(tmp_path):
    env = _env(tmp_path / "state")
    up = subprocess.run([DATALAKE, "platform", "up", "--seed-hours", "2", "--interval", "15"], env=env,
                        capture_output=True, text=True, timeout=600)
    try:
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        assert "Airflow UI: http://127.0.0.1:" in up.stdout and "login: admin / " in up.stdout
        status = dict(line.split("=", 1) for line in _datalake(env, "status").stdout.splitlines())
        with urllib.request.urlopen(status["AIRFLOW_URL"] + "/api/v2/monitor/health", timeout=10) as resp:
            health = json.loads(resp.read())
        assert {k: v["status"] for k, v in health.items()} == {
            "metadatabase": "healthy", "scheduler": "healthy", "triggerer": "healthy", "dag_processor": "healthy"}

        import boto3

        s3 = boto3.client("s3", endpoint_url=status["S3_ENDPOINT_URL"], region_name="eu-central-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=status["LANDING_BUCKET"]).get("Contents", [])]
        assert any(k.startswith("entity_operations/") for k in keys)
        assert any(k.startswith("workflow_executions/") for k in keys)

        # The seeded hours are loaded by backfills on the real scheduler.
        deadline = time.monotonic() + 420
        loaded = []
        while time.monotonic() < deadline:
            out = _datalake(env, "query", "SELECT pipeline, run_key FROM datalake_ops.run_manifest", "--format", "json")
            loaded = json.loads(out.stdout) if out.returncode == 0 else []
            if len(loaded) >= 4:
                break
            time.sleep(10)
        assert {r["pipeline"] for r in loaded} == {"entity_operations_hourly", "workflow_executions_hourly"}, loaded
        count = json.loads(_datalake(env, "query", "SELECT COUNT(*) AS n FROM entity_operations", "--format", "json").stdout)
        assert count[0]["n"] > 0
        for example in ("docs_example_1.sql", "docs_example_2.sql"):
            out = _datalake(env, "query", "--file", str(ROOT / "include/sql/examples" / example))
            assert out.returncode == 0, out.stderr
    finally:
        started = json.loads((tmp_path / "state" / "platform.json").read_text())["pids"]
        down = _datalake(env, "platform", "down", timeout=180)
    assert down.returncode == 0, down.stderr
    state = json.loads((tmp_path / "state" / "platform.json").read_text())
    assert state["pids"] == {}
    assert set(started) == {"postgres", "s3", "producer", "airflow"}
    from datalake.local.processes import is_alive

    time.sleep(1)
    assert [name for name, pid in started.items() if is_alive(pid)] == []
    # Nothing of the platform's process groups is left (airflow standalone's children included).
    leftovers = subprocess.run(["pgrep", "-g", ",".join(str(p) for n, p in started.items() if n != "postgres")],
                               capture_output=True, text=True).stdout.split()
    assert leftovers == [], f"processes still running: {leftovers}"
    assert subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split() == []
