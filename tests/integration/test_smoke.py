"""`datalake smoke` against the test platform (real moto S3 server, real PostgreSQL): every step
passes, the exit code is 0, and afterwards the warehouse and the buckets hold exactly what they
held before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

DATALAKE = str(Path(sys.executable).parent / "datalake")


def _state(settings):
    from datalake.s3 import iter_keys, s3_client
    from datalake.warehouse import connect

    client = s3_client(settings)
    keys = {
        b: sorted(iter_keys(client, b, "")) for b in (settings.landing_bucket, settings.lake_bucket)
    }
    with connect(settings) as conn:
        tables = [
            f"{s}.{t}"
            for s, t in conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema IN ('epilot_datalake', 'datalake_ops') "
                "AND table_type = 'BASE TABLE'"
            )
        ]
        # pipeline_locks holds one row per pipeline lock, (re)created by the first load after
        # clean_platform emptied it: the registry of locks, not data the smoke wrote.
        rows = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in tables
            if t != "datalake_ops.pipeline_locks"
        }
    return keys, rows


def test_smoke_passes_and_leaves_nothing_behind(clean_platform, warehouse_mode):
    from datalake.s3 import s3_client
    from datalake_dev.producer import ProducerConfig, produce_past_hours

    # Some real-looking data around it, which the smoke must not touch.
    produce_past_hours(
        s3_client(clean_platform), clean_platform.landing_bucket, 1, config=ProducerConfig(seed=9)
    )
    before = _state(clean_platform)
    result = subprocess.run(
        [DATALAKE, "smoke"], capture_output=True, text=True, env=os.environ.copy(), timeout=600
    )
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    steps = [line for line in lines if line.startswith(("PASS", "FAIL"))]
    assert len(steps) == 8 and all(line.startswith("PASS ") for line in steps), result.stdout
    assert all(line.rstrip().endswith(" s") for line in steps)  # each step with its time
    assert lines[-1].endswith("PASS (8/8 steps passed)")
    # One line per step: the run's log records (manifests, timings) are in the log file only.
    assert all(line.startswith(("PASS ", "datalake smoke")) for line in lines), result.stdout
    log_file = Path(os.environ["DATALAKE_STATE_DIR"]) / "smoke.log"
    assert "run manifest" in log_file.read_text(encoding="utf-8")
    assert _state(clean_platform) == before


def test_smoke_fails_clearly_when_a_step_fails(clean_platform, monkeypatch):
    monkeypatch.setenv("LAKE_BUCKET", "no-such-lake-bucket")
    result = subprocess.run(
        [DATALAKE, "smoke"], capture_output=True, text=True, env=os.environ.copy(), timeout=600
    )
    assert result.returncode == 1
    assert "FAIL  connections and buckets" in result.stdout
    assert "lake bucket 'no-such-lake-bucket'" in result.stdout
    assert (
        result.stdout.strip().splitlines()[-1].endswith("FAIL (0/2 steps passed)")
    )  # the cleanup is tried and reported too
