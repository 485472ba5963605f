"""Typed tables: the build from scratch of N current entities (50 organisations, 8 entity
schemas) against its floor, a CREATE TABLE AS of the same rows with the same typed columns;
and the hourly refresh after hours of two sizes and on a warehouse a quarter the size (its cost
should follow the changed entities, not the tables' size)."""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timedelta, timezone

from datalake_dev.bench.log import log
from datalake_dev.bench.private_platform import Platform

ORGS, SCHEMAS = (
    50,
    ("opportunity", "contact", "order", "account", "product", "meter", "contract", "ticket"),
)
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def entity_payload(
    i: int, when: datetime, rng: random.Random, version: int = 0
) -> tuple[str, str, dict]:
    org, schema = f"org-{i % ORGS:03d}", SCHEMAS[(i // ORGS) % len(SCHEMAS)]
    entity_id = f"e-{i:08d}"
    payload = {
        "_id": entity_id,
        "_schema": schema,
        "_org": org,
        "_title": f"{schema} {i}",
        "_created_at": _iso(T0 + timedelta(seconds=i)),
        "_updated_at": _iso(when),
        "_tags": ["bench"],
        "status": rng.choice(("open", "in_progress", "won", "lost")),
        "active": bool(i % 2),
        "quantity": i % 97 + version,
        "amount": round(rng.random() * 1000, 2),
        "due_date": _iso(when + timedelta(days=7)),
        "description": f"entity {i} of {org}, version {version}",
        "address": [{"street": "Hauptstr.", "street_number": str(i % 140), "city": "Köln"}],
        "source": {"type": "link", "title": "Wallbox"},
        "customer": {
            "$relation": [{"entity_id": f"e-{(i + ORGS) % 1_000_000_000:08d}", "_tags": []}]
        },
        f"{schema}_number": f"{schema[:3].upper()}-{i}",
    }
    return org, schema, payload


def _row(
    event_id: str,
    operation: str,
    org: str,
    schema: str,
    entity_id: str,
    when: datetime,
    payload: dict,
):
    detail = json.dumps(
        {"entity": entity_id, "org": org, "operation": operation, "payload": payload},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return (
        event_id,
        "EntityOperation",
        operation,
        "bench",
        org,
        _iso(when),
        "eu-central-1",
        "a",
        entity_id,
        detail,
        schema,
        f"{when.month:02d}",
        str(when.year),
    )


def _copy(conn, table: str, rows) -> int:
    n = 0
    with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def seed_current(conn, n: int, rng: random.Random) -> None:
    """n current entities, their create events, owners and one manifest row (not measured)."""
    rows = []
    for i in range(n):
        org, schema, payload = entity_payload(i, T0, rng)
        rows.append(_row(f"c-{i}", "createEntity", org, schema, payload["_id"], T0, payload))
    _copy(conn, "epilot_datalake.current_entities", rows)
    _copy(conn, "epilot_datalake.entity_operations", rows)
    _copy(conn, "datalake_ops.entity_event_owner", ((r[0], "2026110100") for r in rows))
    _manifest(conn, "2026110100")
    conn.commit()


def _manifest(conn, run_key: str) -> None:
    conn.execute(
        "DELETE FROM datalake_ops.run_manifest "
        "WHERE pipeline = 'entity_operations_hourly' AND run_key = %s",
        (run_key,),
    )
    conn.execute(
        "INSERT INTO datalake_ops.run_manifest "
        "(pipeline, run_key, window_start, window_end, manifest, "
        "loaded_at) VALUES ('entity_operations_hourly', %s, %s, %s, '{}', clock_timestamp())",
        (run_key, T0, T0 + timedelta(hours=1)),
    )


def load_hour(
    conn,
    n_entities: int,
    events: int,
    hour: int,
    rng: random.Random,
    picked: list[int] | None = None,
) -> None:
    """An hour of `events` events on distinct existing entities (`picked`, or drawn at random):
    98% updates, 2% deletes, as the hourly load leaves them (events, owners, current state,
    manifest); not measured."""
    when = T0 + timedelta(hours=hour)
    run_key = when.strftime("%Y%m%d%H")
    picked = picked if picked is not None else rng.sample(range(n_entities), events)
    rows, current, gone = [], [], []
    for k, i in enumerate(picked):
        org, schema, payload = entity_payload(i, when, rng, version=hour)
        operation = "deleteEntity" if k % 50 == 0 else "updateEntity"
        row = _row(f"h{hour}-{k}", operation, org, schema, payload["_id"], when, payload)
        rows.append(row)
        gone.append(payload["_id"])
        if operation == "updateEntity":
            current.append(row)
    conn.execute("CREATE TEMP TABLE bench_gone (entity_id varchar(64)) ON COMMIT DROP")
    _copy(conn, "bench_gone", ((g,) for g in gone))
    conn.execute(
        "DELETE FROM epilot_datalake.current_entities c USING bench_gone g "
        "WHERE c.entity_id = g.entity_id"
    )
    _copy(conn, "epilot_datalake.current_entities", current)
    _copy(conn, "epilot_datalake.entity_operations", rows)
    _copy(conn, "datalake_ops.entity_event_owner", ((r[0], run_key) for r in rows))
    _manifest(conn, run_key)
    conn.commit()


def drop_typed(conn) -> None:
    for (name,) in conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%' "
        "OR nspname = 'bench_typed_floor'"
    ).fetchall():
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')
    conn.execute("DELETE FROM datalake_ops.typed_schemas")
    conn.commit()


def floor(conn) -> tuple[float, int]:
    """CREATE TABLE AS of the same rows with the same typed columns, one per built table."""
    from datalake.sqlfiles import render_sql
    from datalake.typed.refresh import _columns_sql, read_catalog

    conn.execute("CREATE SCHEMA bench_typed_floor")
    conn.commit()
    statements = []
    for org, schema in conn.execute(
        "SELECT org_id, schema_name FROM datalake_ops.typed_schemas"
    ).fetchall():
        for slug, table in read_catalog(conn, schema).items():
            select = (
                render_sql(
                    "typed/insert_rows.sql",
                    schema="x",
                    table="x",
                    slug="x",
                    columns=_columns_sql(table),
                )
                .split("SELECT", 1)[1]
                .split("FROM typed_stage")[0]
            )
            names = ", ".join(["entity_id"] + [c.column_name for c in table.columns()])
            statements.append(
                (
                    # MATERIALIZED: each payload parsed once per row, as the build's stage does
                    # (inlined, the parse would be repeated for every column).
                    f"CREATE TABLE bench_typed_floor.f_{len(statements)} ({names}) AS "
                    "WITH s AS MATERIALIZED (SELECT entity_id, (detail::jsonb) -> 'payload' AS p "
                    "FROM epilot_datalake.current_entities WHERE account = %s AND schema = %s) "
                    f"SELECT {select} FROM s",
                    (org, slug),
                )
            )
    conn.execute("SET jit = off")  # as in the refresh's transactions
    conn.commit()
    t0 = time.perf_counter()
    rows = 0
    for sql, params in statements:
        rows += conn.execute(sql, params).rowcount
    conn.commit()
    return time.perf_counter() - t0, rows


# Each hour size is timed this many times, the sizes alternating (the tables grow a little with
# every hour): a single refresh of a few seconds moved by a tenth from one run to the next.
REFRESH_ROUNDS = 3
TABLES = ORGS * len(SCHEMAS)


def one_per_table(round_: int) -> list[int]:
    """Entities of one round's 'one per table' hour: entity i belongs to organisation i % 50 and
    schema (i // 50) % 8, so any 400 consecutive ids starting at a multiple of 400 are one of
    every (organisation, schema) pair; each round takes other ones."""
    start = TABLES * (round_ + 1)
    return list(range(start, start + TABLES))


def _seed(conn, n: int, rng: random.Random) -> None:
    """A warehouse of n current entities, analysed, and no typed tables yet (not timed)."""
    drop_typed(conn)
    seed_current(conn, n, rng)
    conn.execute("ANALYZE epilot_datalake.current_entities")
    conn.commit()


def _timed_refresh(platform: Platform) -> tuple[float, dict]:
    """(seconds, summary) of one refresh as the DAG's task runs it (run_refresh: its own
    connection, one transaction per organisation), after a checkpoint."""
    from datalake.typed import refresh as typed

    platform.checkpoint()
    t0 = time.perf_counter()
    summary = typed.run_refresh(platform.settings)
    return time.perf_counter() - t0, summary


def _timed_refreshes(platform: Platform, conn, n: int, sizes, rng: random.Random) -> list[dict]:
    """The refresh after an hour of each size, and after an hour of one entity in every table
    (what a refresh costs however few entities change: every organisation's transaction and
    every table's statements), REFRESH_ROUNDS times; per size the median."""
    from statistics import median

    samples: dict[int, list[tuple[float, dict]]] = {TABLES: [], **{events: [] for events in sizes}}
    hour = 0
    for round_ in range(REFRESH_ROUNDS):
        for events in samples:
            hour += 1
            picked = one_per_table(round_) if events == TABLES else None
            load_hour(conn, n, events, hour, rng, picked)
            seconds, summary = _timed_refresh(platform)
            log(
                f"  refresh after a {events:,}-event hour {seconds:.2f}s "
                f"({summary['entities_written']:,} rows written)"
            )
            samples[events].append((seconds, summary))
    refreshes = []
    for events, runs in samples.items():
        seconds = median(s for s, _ in runs)
        summary = min(runs, key=lambda run: abs(run[0] - seconds))[1]
        refreshes.append(
            {
                "events": events,
                "one_per_table": events == TABLES,
                "seconds": round(seconds, 3),
                "samples": [round(s, 3) for s, _ in runs],
                "rows_written": summary["entities_written"],
                "organisations": summary["organisations"],
                "ms_per_event": round(1000 * seconds / events, 4),
            }
        )
    fixed = refreshes[0]["seconds"]
    for r in refreshes[1:]:
        # What each entity more costs than the hour of one entity per table did.
        more = r["events"] - TABLES
        r["ms_per_event_beyond_fixed"] = (
            round(1000 * (r["seconds"] - fixed) / more, 4) if more > 0 else None
        )
    return refreshes


# The same hour's refresh is also timed on a warehouse this many times smaller: a refresh whose
# cost followed the tables' size rather than the changed entities would be that much faster there.
SMALLER = 4


def _refresh_on_smaller_warehouse(platform: Platform, n: int, events: int, rng) -> dict:
    """The refresh after an hour of `events` events on a warehouse of n current entities (seeded
    and built first, not timed), REFRESH_ROUNDS times; the median is the figure."""
    from statistics import median

    from datalake.typed import refresh as typed

    platform.reset()
    with platform.connect() as conn:
        log(f"typed tables: a smaller warehouse, {n:,} current entities, built (not timed)")
        _seed(conn, n, rng)
        typed.run_refresh(platform.settings)
        platform.settle()
        samples = []
        for hour in range(1, REFRESH_ROUNDS + 1):
            load_hour(conn, n, events, hour, rng)
            samples.append(_timed_refresh(platform)[0])
            log(f"  refresh after a {events:,}-event hour {samples[-1]:.2f}s ({n:,} entities)")
        drop_typed(conn)
    return {
        "entities": n,
        "events": events,
        "seconds": round(median(samples), 3),
        "samples": [round(s, 3) for s in samples],
    }


def bench_typed(platform: Platform, args) -> dict:
    from datalake.typed import refresh as typed

    n = args.typed_entities
    rng = random.Random(27)
    smaller = _refresh_on_smaller_warehouse(platform, n // SMALLER, args.typed_hours[0], rng)
    platform.reset()
    with platform.connect() as conn:
        log(
            f"typed tables: seeding {n:,} current entities "
            f"({ORGS} organisations x {len(SCHEMAS)} schemas)"
        )
        _seed(conn, n, rng)
        build, summary = _timed_refresh(platform)
        written = summary["entities_written"]
        log(f"  build {build:.1f}s: {written:,} rows in {summary['organisations']} organisations")
        platform.checkpoint()  # the build's pages are not written during the floor
        floor_seconds, floor_rows = floor(conn)
        log(
            f"  floor (CREATE TABLE AS, same rows and columns) {floor_seconds:.1f}s: "
            f"{floor_rows:,} rows"
        )
        platform.settle()
        refreshes = _timed_refreshes(platform, conn, n, args.typed_hours, rng)
        again = time.perf_counter()
        assert typed.run_refresh(platform.settings)["organisations"] == 0
        idle = time.perf_counter() - again
        drop_typed(conn)
    return {
        "entities": n,
        "organisations": ORGS,
        "schemas": len(SCHEMAS),
        "build_seconds": round(build, 3),
        "rows_written": written,
        "floor_seconds": round(floor_seconds, 3),
        "floor_rows": floor_rows,
        "ratio_build_floor": round(build / floor_seconds, 3) if floor_seconds else None,
        "refreshes": refreshes,
        "idle_refresh_seconds": round(idle, 4),
        "smaller_warehouse": smaller,
    }
