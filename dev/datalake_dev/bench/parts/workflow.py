"""The workflow refresh: one arrival hour with an update of each execution."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from datalake_dev.bench.log import MIB, log
from datalake_dev.bench.private_platform import Platform
from datalake_dev.bench.steps import run_hourly


def bench_workflow(platform: Platform, args, workdir: Path) -> dict:
    from datalake_dev.bench import generate

    platform.reset()
    n = args.executions
    hour = (datetime.now(timezone.utc) - timedelta(hours=2)).replace(
        minute=0, second=0, microsecond=0
    )
    log(f"workflow refresh: generating {n:,} execution updates")
    obj_min, obj_max = (
        (100 * 1024, 400 * 1024) if args.quick else (5 * generate.MB, 20 * generate.MB)
    )
    gen = generate.workflow_hour(
        platform.client,
        platform.settings.landing_bucket,
        hour,
        n,
        min_object_bytes=obj_min,
        max_object_bytes=obj_max,
    )
    result = run_hourly(
        "workflow", hour, hour + timedelta(hours=1), args.workers, workdir / "workflow", platform
    )
    log(
        f"  workflow {result['wall_seconds']:.1f}s, "
        f"peak RSS {result['peak_rss_bytes'] / MIB:.0f} MiB"
    )
    return {
        "executions": n,
        "generated": gen.summary(),
        "pipeline": result,
        "events_per_second": round(gen.records / result["wall_seconds"], 1),
    }
