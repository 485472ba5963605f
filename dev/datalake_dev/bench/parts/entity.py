"""An entity hour of N events: the pipeline against the floor on the same objects."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from datalake_dev.bench.log import MIB, log
from datalake_dev.bench.private_platform import Platform
from datalake_dev.bench.steps import run_floor, run_hourly


def bench_entity_hour(platform: Platform, n: int, args, workdir: Path) -> dict:
    from datalake.s3 import iter_keys
    from datalake_dev.bench import generate

    platform.reset()
    hour = (datetime.now(timezone.utc) - timedelta(hours=2)).replace(
        minute=0, second=0, microsecond=0
    )
    log(f"entity hour N={n:,}: generating landing objects")
    t0 = time.perf_counter()
    obj_min, obj_max = (
        (100 * 1024, 400 * 1024) if args.quick else (5 * generate.MB, 20 * generate.MB)
    )
    gen = generate.entity_hour(
        platform.client,
        platform.settings.landing_bucket,
        hour,
        n,
        min_object_bytes=obj_min,
        max_object_bytes=obj_max,
    )
    log(
        f"  {gen.objects} objects, {gen.records:,} records, {gen.bytes_uncompressed / MIB:.0f} MiB "
        f"({gen.bytes_stored / MIB:.0f} MiB stored) in {time.perf_counter() - t0:.0f}s "
        "(not measured)"
    )
    keys = list(
        iter_keys(
            platform.client,
            platform.settings.landing_bucket,
            f"entity_operations/{hour:%Y/%m/%d/%H}/",
        )
    )
    window = (hour, hour + timedelta(hours=1))
    log("  pipeline: plan -> process (mapped) -> assess -> load")
    pipeline = run_hourly("entity", *window, args.workers, workdir / f"entity-{n}", platform)
    log(
        f"  pipeline {pipeline['wall_seconds']:.1f}s, "
        f"peak RSS {pipeline['peak_rss_bytes'] / MIB:.0f} MiB, "
        f"steps {json.dumps({k: v['seconds'] for k, v in pipeline['steps'].items()})}"
    )
    log("  floor: pyarrow parse + binary COPY")
    floor = run_floor(platform, keys, args.workers, workdir / f"floor-{n}")
    log(f"  floor {floor['wall_seconds']:.1f}s ({floor['rows_copied']:,} rows)")
    # The floor of earlier runs (CSV COPY), for comparison only: the verdict uses the floor
    # with the pipeline's own, faster COPY.
    floor_csv = run_floor(
        platform, keys, args.workers, workdir / f"floor-csv-{n}", copy_format="csv"
    )
    log(f"  floor with CSV COPY {floor_csv['wall_seconds']:.1f}s")
    return {
        "events": n,
        "generated": gen.summary(),
        "pipeline": pipeline,
        "events_per_second": round(gen.records / pipeline["wall_seconds"], 1),
        "floor": floor,
        "floor_events_per_second": round(gen.records / floor["wall_seconds"], 1),
        "ratio_pipeline_floor": round(pipeline["wall_seconds"] / floor["wall_seconds"], 3),
        "floor_csv": floor_csv,
        "ratio_pipeline_floor_csv": round(pipeline["wall_seconds"] / floor_csv["wall_seconds"], 3),
    }
