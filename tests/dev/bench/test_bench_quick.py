"""`make bench` runs: the benchmark command on a tiny N writes every figure and a verdict per
target. Not a timed test: whether the targets are met is the benchmark's report, not a test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]

VERDICTS = {
    "pipeline_within_3x_floor",
    "peak_memory_under_1_5_gib",
    "peak_memory_not_growing_with_n",
    "snapshot_under_60s",
    "current_entities_10M_within_2x_1M",
    "example_2_10M_within_2x_1M",
    "dag_files_parse_under_1s",
    "typed_build_within_3x_floor",
    "typed_refresh_proportional",
    "typed_refresh_independent_of_table_size",
}


def test_bench_quick_writes_every_figure(tmp_path):
    out = tmp_path / "results.json"
    md = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "datalake_dev.bench",
            "--quick",
            "--out",
            str(out),
            "--markdown",
            str(md),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(out.read_text())

    assert results["quick"] is True
    assert results["machine"]["cores"] >= 1 and results["machine"]["cpu_model"]
    assert results["date"] and results["parameters"]["events"]

    (hour,) = results["entity_hours"]
    assert hour["pipeline"]["wall_seconds"] > 0 and hour["events_per_second"] > 0
    assert hour["floor"]["wall_seconds"] > 0 and hour["floor"]["rows_copied"] > 0
    assert hour["ratio_pipeline_floor"] > 0
    for step in ("plan", "process", "assess", "load"):
        assert hour["pipeline"]["steps"][step]["peak_rss_bytes"] > 0
    manifest = hour["pipeline"]["manifest"]
    # Nothing lost, on the benchmark's data too.
    assert manifest["records_read"] == hour["generated"]["records"]
    assert (
        manifest["records_read"]
        == manifest["loaded"] + manifest["duplicates"] + manifest["quarantined_total"]
    )
    assert manifest["loaded"] == hour["generated"]["good_events"]

    snapshot = results["snapshot"]
    assert snapshot["seconds"] > 0 and snapshot["entities_written"] == snapshot["active_entities"]

    queries = results["queries"]["queries"]
    for label in ("current_entities", "example_2"):
        assert queries[label]["1M"]["median_seconds"] > 0
        assert queries[label]["10M"]["median_seconds"] > 0
        assert queries[label]["ratio_10M_1M"] > 0
        assert queries[label]["10M"]["rows"] > 0

    workflow = results["workflow"]
    assert workflow["pipeline"]["wall_seconds"] > 0 and workflow["events_per_second"] > 0
    assert workflow["pipeline"]["manifest"]["records_read"] == workflow["executions"]

    typed = results["typed_tables"]
    assert typed, "the typed tables part wrote no figures"
    smaller = typed["smaller_warehouse"]
    assert smaller["entities"] < typed["entities"] and len(smaller["samples"]) == 3

    parse = results["dag_parse"]
    assert set(parse) == {p.name for p in (ROOT / "dags").glob("*.py")}
    assert all(v["median_seconds"] > 0 for v in parse.values())

    assert set(results["verdicts"]) == VERDICTS
    for verdict in results["verdicts"].values():
        assert verdict["verdict"] in ("MET", "MISSED", "n/a")
        assert verdict["target"]
    # One N only in quick mode: growth with N cannot be judged.
    assert results["verdicts"]["peak_memory_not_growing_with_n"]["verdict"] == "n/a"

    text = md.read_text()
    assert "## Targets" in text and "cores" in text

    # Re-running one part updates only that part of the same results file.
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "datalake_dev.bench",
            "--quick",
            "--parts",
            "parse",
            "--update",
            "--out",
            str(out),
            "--markdown",
            str(md),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    updated = json.loads(out.read_text())
    assert (
        updated["entity_hours"] == results["entity_hours"]
        and updated["workflow"] == results["workflow"]
    )
    assert (
        updated["part_dates"]["entity"] == results["date"]
        and updated["part_dates"]["parse"] == updated["date"]
    )
    assert set(updated["verdicts"]) == VERDICTS
