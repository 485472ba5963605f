"""`python -m datalake_dev.bench`: see the package docstring and docs/benchmarks.md.

The harness: the command line, the private platform for the parts that need one, the results
file and the report. The parts are in `parts/`, the verdicts in `verdicts`, the markdown in
`report`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as pyplatform
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from datalake.config import PROJECT_ROOT
from datalake.hourly.landing import DEFAULT_BATCH_BYTES, ENTITY_BATCH_BYTES
from datalake_dev.bench.log import GIB, log
from datalake_dev.bench.parts.dag_parse import bench_dag_parse
from datalake_dev.bench.parts.entity import bench_entity_hour
from datalake_dev.bench.parts.queries import bench_queries
from datalake_dev.bench.parts.snapshot import bench_snapshot
from datalake_dev.bench.parts.typed import bench_typed
from datalake_dev.bench.parts.workflow import bench_workflow
from datalake_dev.bench.private_platform import Platform
from datalake_dev.bench.report import markdown
from datalake_dev.bench.verdicts import TARGETS, verdicts


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    return {
        "cores": os.cpu_count(),
        "cpu_model": model or pyplatform.processor(),
        "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
        "python": pyplatform.python_version(),
        "platform": pyplatform.platform(),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m datalake_dev.bench", description=__doc__)
    parser.add_argument(
        "--events",
        type=int,
        nargs="+",
        default=None,
        help="N events per hour (default 100000 1000000)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny N: a smoke test that finishes in under a minute"
    )
    parser.add_argument("--out", default="bench/results.json", help="JSON results file")
    parser.add_argument(
        "--markdown",
        default=None,
        help="markdown report (default docs/benchmarks.md; with --quick: next to --out)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="batch processes at a time (default: min(2, cores))",
    )
    parser.add_argument(
        "--parts",
        default="entity,snapshot,queries,workflow,typed,parse",
        help="comma-separated subset of entity,snapshot,queries,workflow,typed,parse",
    )
    parser.add_argument(
        "--typed-entities",
        type=int,
        default=None,
        help="current entities of the typed-tables build (default 1000000)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data)")
    parser.add_argument(
        "--update",
        action="store_true",
        help="re-run only --parts and update them in the existing --out JSON (other parts kept, "
        "each part's date recorded)",
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="only re-render the markdown (and notes) from an existing --out JSON",
    )
    args = parser.parse_args(argv)
    q = args.quick
    args.events = args.events or ([2_000] if q else [100_000, 1_000_000])
    args.workers = args.workers or min(2, os.cpu_count() or 1)
    args.snapshot_entities = 2_000 if q else 1_000_000
    args.history_rows = (10_000, 100_000) if q else (1_000_000, 10_000_000)
    args.history_entities = 2_000 if q else 100_000
    args.current_month_rows = 2_000 if q else 50_000
    args.executions = 1_000 if q else 100_000
    args.typed_entities = args.typed_entities or (20_000 if q else 1_000_000)
    args.typed_hours = (200, 2_000) if q else (10_000, 100_000)
    args.query_repeats = 3 if q else 7
    args.parse_repeats = 1 if q else 3
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    out_path = Path(args.out)
    if not out_path.is_absolute():
        out_path = Path.cwd() / out_path
    md_path = (
        Path(args.markdown)
        if args.markdown
        else (
            out_path.with_suffix(".md") if args.quick else PROJECT_ROOT / "docs" / "benchmarks.md"
        )
    )
    notes = PROJECT_ROOT / "bench" / "NOTES.md"
    if args.render:
        return _render_only(out_path, md_path, notes)
    root = Path(tempfile.mkdtemp(prefix="datalake-bench-", dir=os.environ.get("TMPDIR", "/tmp")))
    workdir = root / "work"
    # The DAG reads the Airflow Variable datalake_quarantine_threshold; there is no Airflow
    # here, so its default (5%) comes from the environment instead.
    os.environ.setdefault("DATALAKE_QUARANTINE_THRESHOLD", "0.05")
    results: dict = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine(),
        "parameters": {
            "events": args.events,
            "workers": args.workers,
            "snapshot_entities": args.snapshot_entities,
            "history_rows": args.history_rows,
            "history_entities": args.history_entities,
            "current_month_rows": args.current_month_rows,
            "executions": args.executions,
            "batch_bytes": {
                "entity": ENTITY_BATCH_BYTES,
                "workflow": DEFAULT_BATCH_BYTES,
                "override": os.environ.get("DATALAKE_BATCH_BYTES"),
            },
            "parts": args.parts,
        },
        "targets": TARGETS,
    }
    log(f"temp dir {root}; {results['machine']['cores']} cores, {results['machine']['cpu_model']}")
    _measure(results, args, root, workdir)
    part_keys = {
        "entity": "entity_hours",
        "snapshot": "snapshot",
        "queries": "queries",
        "workflow": "workflow",
        "typed": "typed_tables",
        "parse": "dag_parse",
    }
    results["part_dates"] = {part: results["date"] for part in args.parts}
    if args.update and out_path.exists():
        previous = json.loads(out_path.read_text())
        for part, key in part_keys.items():
            if part not in args.parts and key in previous:
                results[key] = previous[key]
                results["part_dates"][part] = previous.get("part_dates", {}).get(
                    part, previous["date"]
                )
        results["parameters"]["parts"] = sorted(results["part_dates"])
    results["verdicts"] = verdicts(results)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    if notes.exists() and not args.quick:
        results["notes"] = notes.read_text()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(results, indent=2, sort_keys=False, default=str) + "\n")
    md_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.write_text(markdown(results))
    _print_summary(results, out_path, md_path)
    return 0


def _render_only(out_path: Path, md_path: Path, notes: Path) -> int:
    """The report again from the saved results (no measurement)."""
    results = json.loads(out_path.read_text())
    if notes.exists() and not results.get("quick"):
        results["notes"] = notes.read_text()
        out_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(markdown(results))
    print(f"report: {md_path}")
    return 0


def _measure(results: dict, args, root: Path, workdir: Path) -> None:
    """Run the chosen parts on a private platform; their figures go into ``results``."""
    try:
        with Platform(root) as platform:
            if "entity" in args.parts:
                results["entity_hours"] = [
                    bench_entity_hour(platform, n, args, workdir) for n in sorted(args.events)
                ]
            if "snapshot" in args.parts:
                results["snapshot"] = bench_snapshot(platform, args, workdir)
            if "queries" in args.parts:
                results["queries"] = bench_queries(platform, args)
            if "workflow" in args.parts:
                results["workflow"] = bench_workflow(platform, args, workdir)
            if "typed" in args.parts:
                results["typed_tables"] = bench_typed(platform, args)
        if "parse" in args.parts:
            results["dag_parse"] = bench_dag_parse(args)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def _print_summary(results: dict, out_path: Path, md_path: Path) -> None:
    print()
    for name, v in results["verdicts"].items():
        print(f"{v['verdict']:>6}  {name}: {v['value']}")
    for h in results.get("entity_hours", []):
        print(
            f"        N={h['events']:,}: pipeline {h['pipeline']['wall_seconds']:.1f}s / floor "
            f"{h['floor']['wall_seconds']:.1f}s = {h['ratio_pipeline_floor']:.2f}x"
            + (
                f" (CSV floor {h['floor_csv']['wall_seconds']:.1f}s = "
                f"{h['ratio_pipeline_floor_csv']:.2f}x)"
                if h.get("floor_csv")
                else ""
            )
        )
    print(f"results: {out_path}\nreport:  {md_path}\ntotal {results['total_seconds']:.0f}s")
