"""The pipeline's steps as the benchmark runs them: each in a fresh process (`worker`), like
one Airflow task, with its wall time and peak memory; and the floor the pipeline is held to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from datalake_dev.bench.private_platform import Platform, RssSampler


def run_worker(step: str, spec: dict, workdir: Path) -> dict:
    """One step in a fresh process (like one Airflow task); returns its output + wall seconds."""
    workdir.mkdir(parents=True, exist_ok=True)
    fd, inp = tempfile.mkstemp(prefix=f"{step}-", suffix=".in.json", dir=workdir)
    with os.fdopen(fd, "w") as fh:
        json.dump(spec, fh, default=str)
    outp = inp.replace(".in.json", ".out.json")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "datalake_dev.bench.worker", step, inp, outp],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(
            f"worker {step} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
            f"{proc.stderr[-5000:]}"
        )
    out = json.loads(Path(outp).read_text())
    out["wall_seconds"] = wall
    return out


def run_hourly(
    pipeline: str,
    window_start: datetime,
    window_end: datetime,
    workers: int,
    workdir: Path,
    platform: Platform,
) -> dict:
    """plan -> process (one process per batch, `workers` at a time) -> assess -> load."""
    spec = {"window_start": window_start.isoformat(), "window_end": window_end.isoformat()}
    steps: dict[str, dict] = {}
    t0 = time.perf_counter()
    with RssSampler(platform) as pg_rss:
        plan = run_worker(f"{pipeline}_plan", spec, workdir)
        batches = plan["result"]
        steps["plan"] = {
            "seconds": round(plan["wall_seconds"], 3),
            "peak_rss_bytes": plan["peak_rss_bytes"],
        }
        t1 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outs = list(
                pool.map(
                    lambda b: run_worker(f"{pipeline}_process", {**spec, "batch": b}, workdir),
                    batches,
                )
            )
        counts = [o["result"] for o in outs]
        steps["process"] = {
            "seconds": round(time.perf_counter() - t1, 3),
            "batches": len(batches),
            "parallel_workers": workers,
            "peak_rss_bytes": max(o["peak_rss_bytes"] for o in outs),
            "batch_seconds_max": round(max(o["wall_seconds"] for o in outs), 3),
            "batch_work_seconds_sum": round(sum(o["seconds"] for o in outs), 3),
            "batch_records_max": max(c["records_read"] for c in counts),
        }
        assess = run_worker(f"{pipeline}_assess", {**spec, "batch_counts": counts}, workdir)
        steps["assess"] = {
            "seconds": round(assess["wall_seconds"], 3),
            "peak_rss_bytes": assess["peak_rss_bytes"],
        }
        load = run_worker(f"{pipeline}_load", {**spec, "batch_counts": counts}, workdir)
        steps["load"] = {
            "seconds": round(load["wall_seconds"], 3),
            "work_seconds": round(load["seconds"], 3),
            "peak_rss_bytes": load["peak_rss_bytes"],
            "steps": load["result"].get("step_seconds"),
            "step_peak_rss_mib": load["result"].get("step_peak_rss_mib"),
        }
    total = time.perf_counter() - t0
    manifest = load["result"]
    return {
        "wall_seconds": round(total, 3),
        "steps": steps,
        "peak_rss_bytes": max(s["peak_rss_bytes"] for s in steps.values()),
        "postgres_peak_backend_rss_bytes": pg_rss.max_backend,
        "postgres_peak_total_rss_bytes": pg_rss.max_total,
        "manifest": {
            k: manifest.get(k)
            for k in (
                "records_read",
                "loaded",
                "duplicates",
                "quarantined_total",
                "quarantined",
                "batches",
                "objects",
            )
        },
    }


def run_floor(
    platform: Platform,
    keys: list[tuple[str, int]],
    workers: int,
    workdir: Path,
    copy_format: str = "binary",
) -> dict:
    from datalake_dev.bench.floor import FLOOR_TABLE, create_table_sql

    with platform.connect() as conn:
        conn.execute(create_table_sql())
        conn.commit()
    # Objects dealt to the workers largest first, to balance bytes.
    groups: list[list[str]] = [[] for _ in range(workers)]
    sizes = [0] * workers
    for key, size in sorted(keys, key=lambda k: -k[1]):
        i = sizes.index(min(sizes))
        groups[i].append(key)
        sizes[i] += size
    t0 = time.perf_counter()
    with RssSampler(platform) as pg_rss:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outs = list(
                pool.map(
                    lambda g: run_worker(
                        "floor_parse", {"keys": g, "copy_format": copy_format}, workdir
                    ),
                    [g for g in groups if g],
                )
            )
    wall = time.perf_counter() - t0
    with platform.connect() as conn:
        rows = conn.execute(f"SELECT COUNT(*) FROM {FLOOR_TABLE}").fetchone()[0]
        conn.execute(f"DROP TABLE {FLOOR_TABLE}")
        conn.commit()
    return {
        "wall_seconds": round(wall, 3),
        "rows_copied": rows,
        "records_split": sum(o["result"]["records"] for o in outs),
        "parse_seconds_sum": round(sum(o["result"]["parse_seconds"] for o in outs), 3),
        "parallel_workers": workers,
        "peak_rss_bytes": max(o["peak_rss_bytes"] for o in outs),
        "postgres_peak_backend_rss_bytes": pg_rss.max_backend,
    }
