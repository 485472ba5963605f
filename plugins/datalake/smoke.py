"""`datalake smoke`: one small synthetic hour end to end against whatever the configured
connections point to (the local platform, or real S3 and Redshift), then everything it wrote
removed again. Each step prints its time and PASS / FAIL; the exit code is 0 only if all pass.

What it touches, so that nothing real is overwritten:
* arrival hour 2099-01-01T00 UTC (``SCRATCH_HOUR``): a landing prefix no delivery stream
  writes, so its curated part file, manifest and quarantine folder are named after an hour
  no real run has; the events themselves are from the last minutes (the suite rejects future
  events) with fresh random entity ids, so they land in the current month's partition next to
  real rows and are deleted by id at the end;
* the monthly snapshot of the *next* month (built early, from everything current), only when
  no snapshot of that month exists yet; its rows, lake file and manifest are removed after.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from datalake.entity import DAG_ID as HOURLY_PIPELINE
from datalake.entity import STREAM

SCRATCH_HOUR = datetime(2099, 1, 1, 0, tzinfo=timezone.utc)
SCRATCH_RUN_KEY = SCRATCH_HOUR.strftime("%Y%m%d%H")
SMOKE_ORG = "990099"
SNAPSHOT_PIPELINE = "entity_operations_monthly_snapshot"
SMOKE_PLAN = [  # (entity, schema, title, operations)
    ("e1", "opportunity", "A", ["createEntity"]),
    ("e2", "opportunity", "A", ["createEntity", "updateEntity"]),
    ("e3", "opportunity", "A", ["createEntity"]),
    ("e4", "opportunity", "B", ["createEntity"]),
    ("e5", "opportunity", "B", ["createEntity", "deleteEntity"]),
    ("e6", "opportunity", "B", ["createEntity"]),
    ("e7", "order", "A", ["createEntity"]),
    ("e8", "order", "B", ["createEntity"]),
]
# One slot per event plus one: the events' spacing in time (synthetic_hour).
EVENT_SLOTS = sum(len(operations) for *_, operations in SMOKE_PLAN) + 1


class SmokeFailure(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


@dataclass
class SmokeData:
    """The synthetic hour and what the pipeline must make of it."""

    run: str
    events: list[dict]
    records: int  # records delivered (one duplicate included)
    entity_ids: list[str]
    event_ids: list[str]
    current: set[str]  # entities alive after the hour
    example_1: dict[str, int]  # journey title -> createEntity count (opportunity)
    example_2: set[str]  # opportunity entities of this month not deleted
    landing_keys: list[str] = field(default_factory=list)


def synthetic_hour(now: datetime) -> SmokeData:
    from datalake.ulid import ulid

    run = uuid.uuid4().hex[:8]
    rng = random.Random()
    titles = {"A": f"datalake smoke {run} A", "B": f"datalake smoke {run} B"}
    events, entity_ids, current = [], [], set()
    # All events fall in now's month (the docs' examples read the current month's partition):
    # 20 s apart, closer together in the first minutes of a month (run_smoke waits until at
    # least one second per event has passed since the month began).
    since_month_start = (now - _month_key(now)[0]).total_seconds()
    step = timedelta(seconds=max(1, min(20, int(since_month_start // EVENT_SLOTS))))
    t = now - step * EVENT_SLOTS
    for _name, schema, title, operations in SMOKE_PLAN:
        entity = str(uuid.uuid4())  # the suite requires UUIDs; smoke rows are found by SMOKE_ORG
        entity_ids.append(entity)
        created = t
        for op in operations:
            t += step
            payload = {
                "_id": entity,
                "_schema": schema,
                "_org": SMOKE_ORG,
                "_title": titles[title],
                "_created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "source": {"type": "journey", "title": titles[title]},
            }
            detail = {
                "entity": entity,
                "org": SMOKE_ORG,
                "activity_id": ulid(t, rng),
                "operation": op,
                "params": {"id": entity, "slug": schema},
                "payload": payload,
            }
            events.append(
                {
                    "version": "0",
                    "id": str(uuid.uuid4()),
                    "detail-type": "EntityOperation",
                    "source": "datalake-smoke",
                    "account": "000000000000",
                    "time": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "region": "eu-central-1",
                    "resources": [],
                    "detail": detail,
                }
            )
        if operations[-1] != "deleteEntity":
            current.add(entity)
    example_1 = {titles["A"]: 3, titles["B"]: 3}
    example_2 = {
        e
        for e, p in zip(entity_ids, SMOKE_PLAN, strict=False)
        if p[1] == "opportunity" and e in current
    }
    return SmokeData(
        run=run,
        events=events,
        records=len(events) + 1,
        entity_ids=entity_ids,
        event_ids=[e["id"] for e in events],
        current=current,
        example_1=example_1,
        example_2=example_2,
    )


def landing_body(data: SmokeData) -> bytes:
    """NDJSON as Firehose delivers it, with the first record delivered twice (a duplicate)."""
    lines = [json.dumps(e, separators=(",", ":")) for e in data.events]
    return ("\n".join([lines[0], *lines]) + "\n").encode("utf-8")


class Report:
    def __init__(self, out):
        self.out = out
        self.results: list[tuple[str, bool]] = []

    @contextmanager
    def step(self, name: str):
        started = time.monotonic()
        try:
            yield
        except (
            Exception
        ) as exc:  # every failure is reported as the step's verdict, then the run stops
            self.results.append((name, False))
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.out(
                f"FAIL  {name:<34} {time.monotonic() - started:7.2f} s  "
                f"{type(exc).__name__}: {detail}"
            )
            raise
        self.results.append((name, True))
        self.out(f"PASS  {name:<34} {time.monotonic() - started:7.2f} s")

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(ok for _, ok in self.results)


def _month_key(when: datetime) -> tuple[datetime, datetime]:
    start = when.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def run_smoke(settings=None, out=print, now: datetime | None = None) -> bool:
    from datalake.config import load_settings
    from datalake.s3 import require_bucket, s3_client
    from datalake.warehouse import connect

    settings = settings or load_settings()
    now = now or datetime.now(timezone.utc)
    wait = EVENT_SLOTS - (now - _month_key(now)[0]).total_seconds()
    if wait > 0:  # a month only seconds old: one second per event must fit inside it
        time.sleep(wait)
        now += timedelta(seconds=wait)
    report = Report(out)
    data = synthetic_hour(now)
    month_start, month_end = _month_key(now)
    snapshot_key = month_end.strftime("%Y%m")
    state = {"snapshot_built": False}
    out(_header(settings, data))
    client = None
    try:
        with report.step("connections and buckets"):
            client = s3_client(settings)
            require_bucket(client, settings.landing_bucket, "landing")
            require_bucket(client, settings.lake_bucket, "lake")
            with connect(settings) as conn:
                conn.execute("SELECT 1").fetchone()
            _cleanup(
                client, settings, data, snapshot_key, snapshot_built=False
            )  # a crashed earlier smoke
        with report.step("write the scratch landing hour"):
            key = f"{STREAM}/{SCRATCH_HOUR:%Y/%m/%d/%H}/datalake-smoke-{data.run}"
            client.put_object(Bucket=settings.landing_bucket, Key=key, Body=landing_body(data))
            data.landing_keys.append(key)
        with report.step("hourly pipeline (entity_operations)"):
            _run_hourly(client, settings, data)
        with report.step("warehouse counts"):
            _check_warehouse(settings, data)
        with report.step("monthly snapshot"):
            _run_snapshot(client, settings, data, (month_start, month_end), state)
        with report.step("docs example 1 (datalake query)"):
            rows = _example(settings, "docs_example_1.sql")
            got = {
                r[0]: int(r[3]) for r in rows if str(r[0]).startswith(f"datalake smoke {data.run}")
            }
            check(got == data.example_1, f"smoke journeys {got}, expected {data.example_1}")
        with report.step("docs example 2 (datalake query)"):
            rows = _example(settings, "docs_example_2.sql")
            got = {r[0] for r in rows} & set(data.entity_ids)
            check(
                got == data.example_2, f"{len(got)} smoke entities, expected {len(data.example_2)}"
            )
    except Exception:
        pass
    finally:
        if client is not None:
            try:
                with report.step("remove everything the smoke wrote"):
                    _cleanup(
                        client, settings, data, snapshot_key, snapshot_built=state["snapshot_built"]
                    )
                    _check_clean(
                        client, settings, data, snapshot_key, snapshot_built=state["snapshot_built"]
                    )
            except Exception:
                pass
    out(
        f"datalake smoke {data.run}: {'PASS' if report.passed else 'FAIL'} "
        f"({sum(ok for _, ok in report.results)}/{len(report.results)} steps passed)"
    )
    return report.passed


def _header(settings, data: SmokeData) -> str:
    return (
        f"datalake smoke {data.run}: S3 {settings.s3_endpoint_url or 'AWS'} "
        f"(connection {settings.aws_conn_id or 'none: AWS credential chain'}), warehouse "
        f"{'Redshift' if settings.warehouse_is_redshift else 'PostgreSQL'}, scratch arrival hour "
        f"{SCRATCH_HOUR:%Y-%m-%dT%H}, org {SMOKE_ORG}"
    )


def _run_snapshot(
    client, settings, data: SmokeData, month: tuple[datetime, datetime], state: dict
) -> None:
    """The monthly DAG's build for the smoke's month (only if none exists: never overwritten)."""
    from datalake.entity import monthly_snapshot as snapshot
    from datalake.sqlfiles import query_file
    from datalake.warehouse import connect

    month_start, month_end = month
    snapshot_key = month_end.strftime("%Y%m")
    with connect(settings) as conn:
        exists = query_file(
            conn,
            "smoke/snapshot_exists.sql",
            {"pipeline": SNAPSHOT_PIPELINE, "run_key": snapshot_key},
        )
    check(
        not exists, f"a snapshot of {snapshot_key} exists already; the smoke does not overwrite it"
    )
    state["snapshot_built"] = True
    result = snapshot.run_snapshot(client, settings, month_start, month_end)
    with connect(settings) as conn:
        rows = query_file(
            conn,
            "smoke/snapshot_rows.sql",
            {"year": str(month_end.year), "month": str(month_end.month)},
            entity_ids=_in(conn, data.entity_ids),
        )[0][0]
    check(
        rows == len(data.current),
        f"snapshot rows of the smoke entities: {rows}, expected {len(data.current)}",
    )
    check(bool(result.get("lake_file")), f"the snapshot wrote no lake file: {result}")


def _run_hourly(client, settings, data: SmokeData) -> None:
    """The hourly DAG's four steps, in order, on the scratch hour (what its operators call)."""
    from datalake.entity.stream import ENTITY_STREAM
    from datalake.hourly import windows

    window = windows.resolve_window(None, SCRATCH_HOUR, SCRATCH_HOUR + timedelta(hours=1))
    batches = windows.plan_window(ENTITY_STREAM, client, settings, window)
    check(len(batches) >= 1, "the scratch hour's object was not planned")
    counts = [windows.process_batch(ENTITY_STREAM, client, settings, b) for b in batches]
    windows.gate_window(ENTITY_STREAM, counts)
    windows.load_window(ENTITY_STREAM, client, settings, counts, window.steps)


def _check_warehouse(settings, data: SmokeData) -> None:
    from datalake.sqlfiles import query_file
    from datalake.warehouse import connect

    with connect(settings) as conn:
        ids = _in(conn, data.entity_ids)
        ops = query_file(conn, "smoke/event_rows.sql", entity_ids=ids)[0][0]
        current = {r[0] for r in query_file(conn, "smoke/current_entities.sql", entity_ids=ids)}
        manifest = query_file(
            conn,
            "ops/run_manifest_get.sql",
            {"pipeline": HOURLY_PIPELINE, "run_key": SCRATCH_RUN_KEY},
        )
    check(
        ops == len(data.events),
        f"entity_operations has {ops} smoke rows, expected {len(data.events)} "
        f"({data.records} records, one duplicate)",
    )
    check(
        current == data.current,
        f"current_entities has {len(current)} smoke entities, expected {len(data.current)}",
    )
    check(bool(manifest), f"no run manifest for {HOURLY_PIPELINE} {SCRATCH_RUN_KEY}")


def _in(conn, values) -> str:
    """An IN list of literals, quoted by psycopg, for render_sql: Redshift has no arrays, so
    no = ANY(%s)."""
    from psycopg import sql

    return (
        sql.SQL("({})").format(sql.SQL(", ").join(sql.Literal(v) for v in values)).as_string(conn)
    )


def _example(settings, name: str) -> list[tuple]:
    from datalake.query import run_query
    from datalake.sqlfiles import read_sql

    return run_query(read_sql(f"examples/{name}"), settings).rows


def _scratch_lake_prefixes(data: SmokeData, snapshot_key: str, snapshot_built: bool) -> list[str]:
    prefixes = [f"manifests/{STREAM}/{SCRATCH_RUN_KEY}", f"quarantine/{STREAM}/{SCRATCH_RUN_KEY}"]
    months = {(e["time"][:4], str(int(e["time"][5:7]))) for e in data.events}
    prefixes += [f"{STREAM}/year={y}/month={m}/part-{SCRATCH_RUN_KEY}" for y, m in months]
    if snapshot_built:
        year, month = snapshot_key[:4], str(int(snapshot_key[4:]))
        prefixes += [
            f"{STREAM}/year={year}/month={month}/snapshot-{snapshot_key}",
            f"manifests/{SNAPSHOT_PIPELINE}/{snapshot_key}",
            f"manifests/{STREAM}/{snapshot_key}",
        ]
    return prefixes


def _cleanup(client, settings, data: SmokeData, snapshot_key: str, snapshot_built: bool) -> None:
    from datalake.hourly.lake import delete_prefix
    from datalake.sqlfiles import execute_file
    from datalake.validation.data_docs import remove_hour
    from datalake.warehouse import connect

    delete_prefix(client, settings.landing_bucket, f"{STREAM}/{SCRATCH_HOUR:%Y/%m/%d/%H}/")
    for prefix in _scratch_lake_prefixes(data, snapshot_key, snapshot_built):
        delete_prefix(client, settings.lake_bucket, prefix)
    remove_hour(client, settings.lake_bucket, STREAM, SCRATCH_RUN_KEY)
    with connect(settings) as conn, conn.transaction():
        # SMOKE_ORG is reserved for the smoke: this also removes what a crashed earlier smoke left.
        execute_file(
            conn,
            "smoke/cleanup.sql",
            {"org": SMOKE_ORG, "pipeline": HOURLY_PIPELINE, "run_key": SCRATCH_RUN_KEY},
        )
        if snapshot_built:
            # The early snapshot of next month holds every current entity, real ones included.
            year, month = snapshot_key[:4], str(int(snapshot_key[4:]))
            execute_file(
                conn,
                "smoke/cleanup_snapshot.sql",
                {
                    "year": year,
                    "month": month,
                    "pipeline": SNAPSHOT_PIPELINE,
                    "month_key": snapshot_key,
                },
            )


def _check_clean(
    client, settings, data: SmokeData, snapshot_key: str, snapshot_built: bool
) -> None:
    from datalake.s3 import iter_keys
    from datalake.sqlfiles import query_file
    from datalake.warehouse import connect

    left = list(iter_keys(client, settings.landing_bucket, f"{STREAM}/{SCRATCH_HOUR:%Y/%m/%d/%H}/"))
    for prefix in _scratch_lake_prefixes(data, snapshot_key, snapshot_built):
        left += list(iter_keys(client, settings.lake_bucket, prefix))
    check(not left, f"{len(left)} smoke objects left, e.g. {left[0][0] if left else ''}")
    with connect(settings) as conn:
        rows = query_file(
            conn,
            "smoke/leftover_rows.sql",
            {"run_key": SCRATCH_RUN_KEY},
            entity_ids=_in(conn, data.entity_ids),
            event_ids=_in(conn, data.event_ids),
        )[0][0]
    check(rows == 0, f"{rows} smoke rows left in the warehouse")
