"""current_entities and the docs' Example 2 against the length of history."""

from __future__ import annotations

import json
import random
import statistics
import time
from datetime import datetime, timedelta, timezone

from datalake_dev.bench.log import log
from datalake_dev.bench.private_platform import Platform

CURRENT_ENTITIES_QUERY = (
    'SELECT entity_id, "schema", detail '
    'FROM "epilot_datalake"."epilot_datalake"."current_entities" '
    "WHERE account = '739224' AND \"schema\" = 'opportunity'"
)


def time_query(sql: str, settings, repeats: int) -> dict:
    from datalake.query import run_query

    run_query(sql, settings)  # warm-up
    times, rows = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        rows = len(run_query(sql, settings).rows)
        times.append(time.perf_counter() - t0)
    return {
        "median_seconds": round(statistics.median(times), 4),
        "min_seconds": round(min(times), 4),
        "rows": rows,
        "runs": repeats,
    }


class _HistoryRows:
    """Rows of entity_operations history as CSV lines, built from cached per-entity pieces (10 M
    rows must be quick); ``latest`` keeps each tracked entity's last line (its current row)."""

    def __init__(
        self, rng: random.Random, ents, big: list[str], this_month: datetime, now: datetime
    ):
        from datalake_dev.bench import history as h

        self.rng, self.ents, self.this_month, self.now = rng, ents, this_month, now
        self.entities_n = len(ents.ids)
        self.latest: dict[int, str] = {}
        self.ulids = [h.random_ulid(rng) for _ in range(4096)]
        self.small_csv: dict[int, str] = {}
        self.big_csv = [h.csv_value(d) for d in big]

    def month_rows(self, count: int, months_back_first: int, months_back_last: int, track: bool):
        """`count` rows spread over the months [this-first, this-last] (first > last), oldest
        first, as CSV lines (built from cached per-entity pieces: 10 M rows must be quick)."""
        import time as _t

        from datalake_dev.bench import history as h

        months = list(range(months_back_first, months_back_last - 1, -1))
        per = count // len(months)
        extra = count - per * len(months)
        for k, back in enumerate(months):
            start = h.add_months(self.this_month, -back)
            # This month: up to a few minutes ago, or, in a month's first minutes, its first half.
            end = (
                h.add_months(start, 1)
                if back > 0
                else max(self.now - timedelta(minutes=5), start + (self.now - start) / 2)
            )
            m = per + (1 if k < extra else 0)
            s0, span = (
                int(start.timestamp() * 1000),
                max(1, int((end - start).total_seconds() * 1000)),
            )
            stamps = sorted(s0 + self.rng.randrange(span) for _ in range(m))
            ids = h.uuids(m)
            mon, yr = str(start.month), str(start.year)
            for j, ms in enumerate(stamps):
                i = self.rng.randrange(self.entities_n)
                op = (
                    "createEntity"
                    if j % 5 == 0
                    else ("deleteEntity" if j % 29 == 0 else "updateEntity")
                )
                stamp = (
                    _t.strftime("%Y-%m-%dT%H:%M:%S", _t.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"
                )
                if back == 0:
                    detail = self.big_csv[j % len(self.big_csv)]
                else:
                    detail = self.small_csv.get(i)
                    if detail is None:
                        detail = self.small_csv[i] = h.csv_value(
                            self.ents.detail(i, "updateEntity", self.rng, False)
                        )
                eid = self.ents.ids[i]
                line = (
                    f'"{ids[j]}","EntityOperation","{op}","entity-api","{self.ents.orgs[i]}",'
                    f'"{stamp}","eu-central-1",'
                    f'"{self.ulids[j & 4095]}","{eid}",{detail},'
                    f'"{self.ents.schemas[i]}","{mon}","{yr}"\n'
                )
                if track:
                    self.latest[i] = line
                yield line


def _current_month_details() -> list[str]:
    """Realistic details for the current month's rows (Example 2 returns them)."""
    from datalake_dev.bench import generate

    return [
        json.dumps(
            json.loads(
                t.replace(generate.ID, "x")
                .replace(generate.ENT, "y")
                .replace(generate.ACT, "z")
                .replace(generate.TIME, "2026-01-01T00:00:00Z")
            )["detail"],
            separators=(",", ":"),
        )
        for _, t in generate.template_events("entity_operations", 3)[:200]
    ]


def _load_recent_history(
    platform: Platform, history: _HistoryRows, small: int, current_rows: int
) -> None:
    """`small` rows: the current month (fixed size) and the 11 months before it; and
    current_entities as the hourly load maintains it (the latest row of each entity)."""
    from datalake_dev.bench import history as h

    with platform.connect() as conn:
        with h.BulkLoad(conn, "epilot_datalake", "entity_operations"):
            h.copy_rows(
                conn, h.TABLE, h.COLUMNS, history.month_rows(small - current_rows, 12, 1, True)
            )
            h.copy_rows(conn, h.TABLE, h.COLUMNS, history.month_rows(current_rows, 0, 0, True))
            conn.commit()
        h.copy_rows(
            conn,
            "epilot_datalake.current_entities",
            h.COLUMNS,
            (line for line in history.latest.values() if ',"deleteEntity",' not in line),
        )
        conn.commit()
        conn.execute("ANALYZE epilot_datalake.current_entities")
        conn.commit()


def bench_queries(platform: Platform, args) -> dict:
    """current_entities and the docs' Example 2 at 1 M and 10 M rows of history."""
    from datalake.sqlfiles import read_sql
    from datalake_dev.bench import history as h

    platform.reset()
    rng = random.Random(5)
    small, large = args.history_rows
    entities_n, current_rows = args.history_entities, args.current_month_rows
    now = datetime.now(timezone.utc)
    this_month = datetime(now.year, now.month, 1, tzinfo=timezone.utc)
    big = _current_month_details()
    ents = h.Entities(entities_n, rng, big)
    example2 = read_sql("examples/docs_example_2.sql")

    history = _HistoryRows(rng, ents, big, this_month, now)
    out: dict = {
        "entities": entities_n,
        "current_month_rows": current_rows,
        "repeats": args.query_repeats,
    }
    # Phase 1: `small` rows: the current month (fixed size) and the 11 months before it.
    log(f"queries: COPY {small:,} rows of history")
    _load_recent_history(platform, history, small, current_rows)
    results = {}
    for label, sql in (("current_entities", CURRENT_ENTITIES_QUERY), ("example_2", example2)):
        results[label] = {"1M": time_query(sql, platform.settings, args.query_repeats)}
    log(
        f"  at {small:,}: "
        + ", ".join(f"{k} {v['1M']['median_seconds'] * 1000:.1f} ms" for k, v in results.items())
    )
    # Phase 2: older history only (months 13..48 back), so current_entities stays right.
    log(f"queries: COPY {large - small:,} more (older) rows of history")
    t0 = time.perf_counter()
    with platform.connect() as conn:
        with h.BulkLoad(conn, "epilot_datalake", "entity_operations"):
            h.copy_rows(conn, h.TABLE, h.COLUMNS, history.month_rows(large - small, 48, 13, False))
            conn.commit()
        total = conn.execute("SELECT COUNT(*) FROM epilot_datalake.entity_operations").fetchone()[0]
    log(f"  {total:,} rows in {time.perf_counter() - t0:.0f}s (not measured)")
    for label, sql in (("current_entities", CURRENT_ENTITIES_QUERY), ("example_2", example2)):
        results[label]["10M"] = time_query(sql, platform.settings, args.query_repeats)
        small_t, large_t = (
            results[label]["1M"]["median_seconds"],
            results[label]["10M"]["median_seconds"],
        )
        results[label]["ratio_10M_1M"] = round(large_t / small_t, 3) if small_t else None
    log(
        "  at {:,}: ".format(total)
        + ", ".join(
            f"{k} {v['10M']['median_seconds'] * 1000:.1f} ms (x{v['ratio_10M_1M']})"
            for k, v in results.items()
        )
    )
    out.update(
        {
            "history_rows": {"1M": small, "10M": total},
            "queries": results,
            "current_entities_query": CURRENT_ENTITIES_QUERY,
        }
    )
    return out
