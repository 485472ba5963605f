"""The monthly snapshot over a COPied history of active entities."""

from __future__ import annotations

import random
import time
from datetime import datetime, timezone
from pathlib import Path

from datalake_dev.bench.log import log
from datalake_dev.bench.private_platform import Platform, RssSampler
from datalake_dev.bench.steps import run_worker


def snapshot_history(
    platform: Platform, active: int, rng: random.Random, target_month: datetime
) -> int:
    """``active`` entities alive at the start of target_month (+3% created and deleted),
    their operations spread over the two months before it."""
    from datalake_dev.bench import history as h

    deleted = max(1, active * 3 // 100)
    n = active + deleted
    ents = h.Entities(n, rng)
    first = h.add_months(target_month, -2)

    def lines():
        for i in range(n):
            t = h.random_time_in_month(first, rng, h.add_months(first, 1))
            yield h.csv_line(h.row(ents.ids[i], "createEntity", ents, i, t, rng))
            if i % 3 == 0 or i >= active:
                t2 = h.random_time_in_month(h.add_months(first, 1), rng)
                yield h.csv_line(
                    h.row(
                        ents.ids[i],
                        "deleteEntity" if i >= active else "updateEntity",
                        ents,
                        i,
                        t2,
                        rng,
                    )
                )

    with platform.connect() as conn:
        with h.BulkLoad(conn, "epilot_datalake", "entity_operations"):
            rows = h.copy_rows(conn, h.TABLE, h.COLUMNS, lines())
            conn.commit()
    return rows


def bench_snapshot(platform: Platform, args, workdir: Path) -> dict:
    platform.reset()
    active = args.snapshot_entities
    now = datetime.now(timezone.utc)
    target = datetime(now.year, now.month, 1, tzinfo=timezone.utc)
    log(f"snapshot: COPY history of {active:,} active entities")
    t0 = time.perf_counter()
    rows = snapshot_history(platform, active, random.Random(4), target)
    log(
        f"  {rows:,} history rows in {time.perf_counter() - t0:.0f}s (not measured); "
        "building the snapshot"
    )
    from datalake_dev.bench.history import add_months

    spec = {"window_start": add_months(target, -1).isoformat(), "window_end": target.isoformat()}
    with RssSampler(platform) as pg_rss:
        out = run_worker("snapshot_build", spec, workdir / "snapshot")
    result = out["result"]
    log(f"  snapshot {out['seconds']:.1f}s: {result.get('entities')} entities")
    return {
        "active_entities": active,
        "history_rows": rows,
        "seconds": round(out["seconds"], 3),
        "process_wall_seconds": round(out["wall_seconds"], 3),
        "entities_written": result.get("entities"),
        "peak_rss_bytes": out["peak_rss_bytes"],
        "postgres_peak_backend_rss_bytes": pg_rss.max_backend,
    }
