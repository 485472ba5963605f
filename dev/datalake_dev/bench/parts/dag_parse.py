"""Each DAG file's parse time in fresh processes."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from datalake.config import PROJECT_ROOT
from datalake_dev.bench.log import log

PARSE_SNIPPET = """
import sys, time, importlib.util
import airflow.sdk
t0 = time.perf_counter()
spec = importlib.util.spec_from_file_location("dagfile", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(time.perf_counter() - t0)
"""


def parse_once(path: Path) -> float:
    proc = subprocess.run(
        [sys.executable, "-c", PARSE_SNIPPET, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "plugins")},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"parsing {path.name} failed:\n{proc.stderr[-3000:]}")
    return float(proc.stdout.strip().splitlines()[-1])


def bench_dag_parse(args) -> dict:
    paths = sorted((PROJECT_ROOT / "dags").glob("*.py"))
    jobs = [p for p in paths for _ in range(args.parse_repeats)]
    # One at a time (a parse competes with nothing); --quick runs two at a time to stay short.
    with ThreadPoolExecutor(max_workers=2 if args.quick else 1) as pool:
        times = list(pool.map(parse_once, jobs))
    out = {}
    for path in paths:
        mine = [t for p, t in zip(jobs, times, strict=False) if p == path]
        out[path.name] = {
            "median_seconds": round(statistics.median(mine), 4),
            "max_seconds": round(max(mine), 4),
            "runs": len(mine),
        }
        log(f"dag parse {path.name}: median {out[path.name]['median_seconds'] * 1000:.0f} ms")
    return out
