"""DAG entity_operations_monthly_snapshot on a real S3 server and PostgreSQL.

Small hand-written events (Firehose-style NDJSON landing objects of EventBridge envelopes)
are loaded hour by hour with the hourly pipeline's own steps; snapshots are taken by running
the DAG with dag.test(). Expectations come from plain Python over the raw events.

The docs' Example 2 reads the partition of CURRENT_DATE, so the scenario is laid out relative
to the current month M: operations in M-4 .. M, snapshots for M-2, M-1 and M (the runs for
the data intervals M-3, M-2, M-1).
"""

from __future__ import annotations

import json
import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from dagrun import load_dag, run_dag

from datalake.s3 import iter_keys, s3_client
from datalake.warehouse import connect
from datalake_dev.producer import ulid

pytestmark = pytest.mark.integration

DAG_ID = "entity_operations_monthly_snapshot"
EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "sql" / "examples"
COLUMNS = (
    "id",
    "detail-type",
    "operation",
    "source",
    "account",
    "time",
    "region",
    "activity_id",
    "entity_id",
    "detail",
    "schema",
    "month",
    "year",
)


# ---------------------------------------------------------- months (independent of the pipeline)


def month_start(offset: int) -> datetime:
    """First instant of the month `offset` months from the current one (0 = now)."""
    now = datetime.now(timezone.utc)
    index = now.year * 12 + (now.month - 1) + offset
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=timezone.utc)


def at(offset: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return month_start(offset).replace(day=day, hour=hour, minute=minute)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


# ---------------------------------------------------------- events and landing objects


class World:
    """Hand-crafted entity events; each keeps its arrival hour."""

    def __init__(self, seed: int = 4):
        self.rng = random.Random(seed)
        self.events: list[dict] = []  # {"envelope", "arrival"}
        self.created: dict[str, datetime] = {}

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def entity(self) -> str:
        return self.uuid()

    def op(
        self,
        entity: str,
        operation: str,
        t: datetime,
        arrival: datetime | None = None,
        schema: str = "opportunity",
        title: str = "Wallbox Journey",
        as_string: bool = False,
    ) -> dict:
        if operation == "createEntity":
            self.created[entity] = t
        created = self.created.get(entity, t)
        payload = {
            "_id": entity,
            "_schema": schema,
            "_org": "739224",
            "_title": f"{schema} {entity[:8]}",
            "_created_at": iso(created),
            "_updated_at": iso(t),
            "stage": f"{operation}@{iso(t)}",
            "source": {"type": "link", "title": title},
        }
        detail = {
            "entity": entity,
            "org": "739224",
            "activity_id": ulid(t, self.rng),
            "operation": operation,
            "params": {"id": entity, "slug": schema},
            "payload": payload,
            "diff": {"added": {}, "updated": {"stage": payload["stage"]}, "deleted": {}},
        }
        envelope = {
            "version": "0",
            "id": self.uuid(),
            "detail-type": "EntityOperation",
            "source": "entity-service" if operation != "deleteEntity" else "entity-cleanup",
            "account": "123456789012",
            "time": t.strftime("%Y-%m-%dT%H:%M:%SZ") if t.microsecond == 0 else iso(t),
            "region": "eu-central-1",
            "resources": [],
            "detail": json.dumps(detail) if as_string else detail,
        }
        # By default an event arrives with the rest of its month, on day 28 at 23:00 (few hours to
        # load).
        arrival = arrival or t.replace(day=28, hour=23, minute=0, second=0, microsecond=0)
        arrival = arrival.replace(minute=0, second=0, microsecond=0)
        self.events.append({"envelope": envelope, "arrival": arrival, "time": t})
        return envelope

    def upload(self, client, bucket: str, arrival: datetime) -> None:
        body = "".join(
            json.dumps(e["envelope"]) + "\n" for e in self.events if e["arrival"] == arrival
        )
        key = (
            f"entity_operations/{arrival:%Y/%m/%d/%H}/"
            f"datalake-landing-1-{arrival:%Y-%m-%d-%H}-59-58-{self.uuid()}"
        )
        client.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"))

    def arrivals(self) -> list[datetime]:
        return sorted({e["arrival"] for e in self.events})


# ---------------------------------------------------------- independent truth


def row_of(event: dict) -> dict:
    detail = event["detail"] if isinstance(event["detail"], dict) else json.loads(event["detail"])
    t = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    return {
        "id": event["id"],
        "operation": detail["operation"],
        "entity_id": detail["entity"],
        "time": iso(t),
        "detail": detail,
        "schema": detail["params"]["slug"],
        "account": detail["org"],
        "activity_id": detail["activity_id"],
        "source": event["source"],
        "region": event["region"],
    }


def state_at(
    world: World, instant: datetime | None, loaded_arrivals: set | None = None
) -> dict[str, dict]:
    """Active entities (latest op by (time, id) not a delete) among events before `instant`."""
    latest: dict[str, dict] = {}
    limit = iso(instant) if instant else None
    for e in world.events:
        if loaded_arrivals is not None and e["arrival"] not in loaded_arrivals:
            continue
        row = row_of(e["envelope"])
        if limit and row["time"] >= limit:
            continue
        best = latest.get(row["entity_id"])
        if best is None or (row["time"], row["id"]) > (best["time"], best["id"]):
            latest[row["entity_id"]] = row
    return {k: v for k, v in latest.items() if v["operation"] != "deleteEntity"}


def example_1_truth(world: World) -> dict[tuple, int]:
    counts: dict[tuple, int] = defaultdict(int)
    for e in world.events:
        row = row_of(e["envelope"])
        if row["schema"] == "opportunity" and row["operation"] == "createEntity":
            p = row["detail"]["payload"]
            created = datetime.fromisoformat(p["_created_at"].replace("Z", "+00:00"))
            counts[(p["source"]["title"], created.year, created.month)] += 1
    return dict(counts)


# ---------------------------------------------------------- warehouse / lake readers


def run_example(settings, number: int):
    from datalake.query import run_query

    return run_query((EXAMPLES / f"docs_example_{number}.sql").read_text(), settings)


def example_1_counts(settings) -> dict[tuple, int]:
    result = run_example(settings, 1)
    return {(r[0], int(r[1]), int(r[2])): int(r[3]) for r in result.rows}


def snapshot_rows(settings, offset: int) -> dict[str, dict]:
    start = month_start(offset)
    with connect(settings) as conn:
        cur = conn.execute(
            "SELECT * FROM epilot_datalake.entity_operations WHERE year = %s AND month = %s "
            'AND "detail-type" = %s',
            (str(start.year), str(start.month), "SnapshotOperation"),
        )
        cols = [d.name for d in cur.description]
        return {
            r[cols.index("entity_id")]: dict(zip(cols, r, strict=False)) for r in cur.fetchall()
        }


def lake_snapshot(settings, offset: int):
    """The month's snapshot files in the lake (one locally; UNLOAD numbers its parts), read
    in name order."""
    import pyarrow as pa

    from datalake.entity.monthly_snapshot import Month, snapshot_lake_prefix
    from datalake.hourly.lake import read_parquet

    start = month_start(offset)
    client = s3_client(settings)
    keys = sorted(
        k for k, _ in iter_keys(client, settings.lake_bucket, snapshot_lake_prefix(Month.of(start)))
    )
    assert keys, f"no snapshot file for {start:%Y-%m}"
    return pa.concat_tables([read_parquet(client, settings.lake_bucket, k) for k in keys])


def lake_bytes(settings, prefix: str = "") -> dict[str, bytes]:
    client = s3_client(settings)
    return {
        k: client.get_object(Bucket=settings.lake_bucket, Key=k)["Body"].read()
        for k, _ in iter_keys(client, settings.lake_bucket, prefix)
    }


def assert_snapshot_matches(
    settings, world: World, offset: int, loaded: set | None = None
) -> dict[str, dict]:
    """Warehouse and lake snapshot of month `offset` == the state just before it, from raw
    events."""
    start = month_start(offset)
    expected = state_at(world, start, loaded)
    got = snapshot_rows(settings, offset)
    assert set(got) == set(expected), (start, sorted(set(got) ^ set(expected)))
    for entity, row in got.items():
        truth = expected[entity]
        assert row["id"] == f"snapshot-{entity}-{start:%Y-%m}"
        assert row["operation"] == "updateEntity" and row["detail-type"] == "SnapshotOperation"
        assert row["time"] == f"{start:%Y-%m}-01T00:00:00.000Z"
        assert (row["year"], row["month"]) == (str(start.year), str(start.month))
        assert json.loads(row["detail"]) == truth["detail"]
        for col in ("activity_id", "schema", "account", "source", "region"):
            assert row[col] == truth[col], (entity, col)
    table = lake_snapshot(settings, offset)
    assert tuple(table.column_names) == COLUMNS
    lake_rows = table.to_pylist()
    assert [r["id"] for r in lake_rows] == sorted(r["id"] for r in got.values())
    assert {r["entity_id"]: r for r in lake_rows} == got
    return got


# ---------------------------------------------------------- the scenario


def build_world() -> tuple[World, dict[str, str], list[dict]]:
    """The scenario; returns the world (events before the snapshots), entity ids by letter and
    the late events (not yet in the world)."""
    w = World()
    e = {name: w.entity() for name in "ABCDEFGIJKLNOH"}
    # M-4: only history before the first snapshot (full-history fallback).
    w.op(e["A"], "createEntity", at(-4, 10))
    # M-3
    w.op(e["B"], "createEntity", at(-3, 5))
    w.op(e["C"], "createEntity", at(-3, 6), as_string=True)
    w.op(e["D"], "createEntity", at(-3, 7))
    w.op(e["D"], "deleteEntity", at(-3, 20))
    w.op(e["G"], "createEntity", at(-3, 2), schema="contact")
    w.op(e["I"], "createEntity", at(-3, 3), title="Energieausweis Journey")
    # M-2
    w.op(e["B"], "updateEntity", at(-2, 3))
    w.op(e["C"], "deleteEntity", at(-2, 10))
    w.op(e["D"], "createEntity", at(-2, 15))  # deleted in M-3, re-created: active again
    w.op(e["F"], "createEntity", at(-2, 1))
    w.op(e["J"], "createEntity", at(-2, 5))  # never touched again
    w.op(e["K"], "createEntity", at(-2, 4))
    w.op(e["N"], "createEntity", at(-2, 8))
    w.op(e["O"], "createEntity", at(-2, 9))
    # M-1
    w.op(e["O"], "updateEntity", month_start(-1))  # exactly the first instant of M-1
    w.op(e["E"], "createEntity", at(-1, 2))
    w.op(e["E"], "deleteEntity", at(-1, 25))
    w.op(e["B"], "updateEntity", at(-1, 20), title="Energieausweis Journey")
    w.op(e["F"], "updateEntity", at(-1, 27))
    w.op(e["K"], "deleteEntity", at(-1, 10))
    # M (the current month), arriving before the snapshot of M is taken
    w.op(e["H"], "createEntity", at(0, 2), arrival=at(0, 5, 9))
    w.op(e["I"], "deleteEntity", at(0, 3), arrival=at(0, 5, 9))
    w.op(e["K"], "createEntity", at(0, 4), arrival=at(0, 5, 9))  # deleted in M-1, re-created in M
    # Late events, delivered on day 5 of M at 10:00, after the snapshots were written.
    late_hour = at(0, 5, 10)
    w.op(e["B"], "updateEntity", at(-2, 25), arrival=late_hour)  # changes M-1's snapshot only
    w.op(e["N"], "deleteEntity", at(-1, 26), arrival=late_hour)  # changes M's snapshot
    w.op(e["L"], "createEntity", at(-2, 12), arrival=late_hour)  # new entity: M-1 and M
    late = w.events[-3:]
    del w.events[-3:]  # added back when they "arrive"
    return w, e, late


def run_hours(settings, hours):
    from datalake.entity.stream import ENTITY_STREAM

    client = s3_client(settings)
    return [ENTITY_STREAM.run_hour(client, settings, h) for h in hours]


def run_snapshot_dag(interval_offset: int, conf: dict | None = None):
    """Run the DAG for the data interval of month `interval_offset` (snapshot of the month
    after)."""
    logical = month_start(interval_offset + 1)
    dagrun = run_dag(
        DAG_ID, logical, conf if conf is not None else {"require_complete_hours": False}
    )
    assert dagrun.data_interval_start == month_start(interval_offset), dagrun.data_interval_start
    assert dagrun.data_interval_end == logical
    assert dagrun.state == "success", dagrun.state
    states = {ti.task_id: ti.state for ti in dagrun.get_task_instances()}
    assert states == {"check_hourly_runs": "success", "build_snapshot": "success"}, states
    return dagrun


def test_backfill_rerun_examples_and_late_data(clean_platform, airflow_db, mode_settings):
    settings = mode_settings  # the hours, the snapshot DAG and every check in the same mode
    client = s3_client(settings)
    world, e, late = build_world()

    for hour in world.arrivals():
        world.upload(client, settings.landing_bucket, hour)
    run_hours(settings, world.arrivals())
    example_1_before = run_example(settings, 1).rows
    assert example_1_counts(settings) == example_1_truth(world)

    # Backfill three consecutive months, oldest first, through the DAG.
    run_snapshot_dag(-3)
    run_snapshot_dag(-2)
    run_snapshot_dag(-1)
    for offset in (-2, -1, 0):
        assert_snapshot_matches(settings, world, offset)
    with connect(settings) as conn:
        manifests = {
            k: json.loads(m)
            for k, m in conn.execute(
                "SELECT run_key, manifest FROM datalake_ops.run_manifest WHERE pipeline = %s",
                (DAG_ID,),
            ).fetchall()
        }
        owned = conn.execute(
            "SELECT COUNT(*) FROM datalake_ops.entity_event_owner WHERE id LIKE 'snapshot-%%'"
        ).fetchone()[0]
    # First snapshot from the full history, then incrementally from the previous one.
    assert manifests[f"{month_start(-2):%Y%m}"]["base"] == "full history"
    assert manifests[f"{month_start(-1):%Y%m}"]["base"] == f"snapshot {month_start(-2):%Y-%m}"
    assert manifests[f"{month_start(0):%Y%m}"]["base"] == f"snapshot {month_start(-1):%Y-%m}"
    assert owned == 0, "snapshot ids are not landing events"

    # Specific entities.
    s_m2, s_m1, s_m = (set(snapshot_rows(settings, o)) for o in (-2, -1, 0))
    assert e["A"] in s_m2 and e["A"] in s_m1 and e["A"] in s_m  # untouched since M-4
    assert e["D"] not in s_m2 and e["D"] in s_m1 and e["D"] in s_m  # deleted, then re-created
    assert e["C"] in s_m2 and e["C"] not in s_m1 and e["C"] not in s_m
    assert e["E"] not in s_m and e["K"] not in s_m and e["G"] in s_m
    o_m1, o_m = snapshot_rows(settings, -1)[e["O"]], snapshot_rows(settings, 0)[e["O"]]
    assert (
        json.loads(o_m1["detail"])["operation"] == "createEntity"
    )  # update at M-1's first instant is in M-1
    assert json.loads(o_m["detail"])["operation"] == "updateEntity"

    # Example 1 verbatim: unchanged by the snapshots (they are updateEntity rows).
    assert run_example(settings, 1).rows == example_1_before

    # Example 2 verbatim on the current month: every active opportunity, untouched ones included.
    def example_2_check():
        result = run_example(settings, 2)
        got = {r[0]: r for r in result.rows}
        assert len(got) == len(result.rows), "one row per entity"
        truth = {k: v for k, v in state_at(world, None).items() if v["schema"] == "opportunity"}
        assert set(got) == set(truth)
        for entity, row in got.items():
            assert row[1] == "opportunity"
            assert json.loads(row[2]) == truth[entity]["detail"]
        return set(got)

    listed = example_2_check()
    assert {
        e["A"],
        e["J"],
        e["D"],
        e["N"],
        e["H"],
        e["K"],
    } <= listed  # untouched in M, or created in M
    assert not {e["I"], e["C"], e["E"], e["G"]} & listed  # deleted in M or before; a contact

    # Rerun of the latest month: identical rows and identical lake bytes.
    rows_before, lake_before = snapshot_rows(settings, 0), lake_bytes(settings)
    run_snapshot_dag(-1)
    assert snapshot_rows(settings, 0) == rows_before
    assert lake_bytes(settings) == lake_before

    # Late data: events of M-2 and M-1 arrive on day 5 of M, after the snapshots.
    late_hour = at(0, 5, 10)
    world.events.extend(late)
    world.upload(client, settings.landing_bucket, late_hour)
    (manifest,) = run_hours(settings, [late_hour])
    assert manifest["loaded"] == 3
    assert manifest["snapshots_refreshed"] == [
        f"{month_start(-1):%Y-%m}",
        f"{month_start(0):%Y-%m}",
    ]
    with connect(settings) as conn:
        assert (
            conn.execute("SELECT COUNT(*) FROM datalake_ops.snapshot_refresh_needed").fetchone()[0]
            == 0
        )
    for offset in (-2, -1, 0):
        assert_snapshot_matches(settings, world, offset)
    s_m1, s_m = snapshot_rows(settings, -1), snapshot_rows(settings, 0)
    assert json.loads(s_m1[e["B"]]["detail"])["payload"]["stage"].startswith(
        "updateEntity@" + iso(at(-2, 25))
    )
    assert e["L"] in s_m1 and e["L"] in s_m and e["N"] not in s_m
    listed = example_2_check()
    assert e["N"] not in listed and e["L"] in listed

    # current_entities was kept right by the hourly load itself.
    with connect(settings) as conn:
        cur = conn.execute("SELECT entity_id, id FROM epilot_datalake.current_entities")
        current = dict(cur.fetchall())
    assert current == {k: v["id"] for k, v in state_at(world, None).items()}

    # Example 1 still matches the raw events (L's creation counted once, snapshots never).
    assert example_1_counts(settings) == example_1_truth(world)


def test_snapshot_waits_for_the_hourly_runs_of_the_month(clean_platform, airflow_db):
    from datalake.entity import monthly_snapshot as snapshot

    settings = clean_platform
    covered, target = month_start(-1), month_start(0)
    hours = []
    h = covered
    while h < target:
        hours.append(h)
        h += timedelta(hours=1)
    missing = {hours[0], hours[5], hours[-1]}
    with connect(settings) as conn:
        for hour in hours:
            if hour not in missing:
                conn.execute(
                    "INSERT INTO datalake_ops.run_manifest "
                    "(pipeline, run_key, window_start, window_end, manifest) "
                    "VALUES ('entity_operations_hourly', %s, %s, %s, '{}')",
                    (f"{hour:%Y%m%d%H}", hour, hour + timedelta(hours=1)),
                )
        conn.commit()
    with pytest.raises(snapshot.IncompleteHourlyRuns) as failure:
        snapshot.check_hourly_runs(settings, covered, target)
    message = str(failure.value)
    assert f"3 of {len(hours)} arrival hours of {covered:%Y-%m}" in message
    assert f"{hours[0]:%Y%m%d%H}, {hours[5]:%Y%m%d%H}, {hours[-1]:%Y%m%d%H}" in message
    # The demo switch skips the check.
    assert (
        snapshot.check_hourly_runs(settings, covered, target, require_complete=False)["checked"]
        is False
    )
    # The DAG's sensor: not done while hours are missing (it reschedules instead of failing).
    sensor = load_dag(DAG_ID).task_dict["check_hourly_runs"]
    poke = sensor.python_callable(
        params={"require_complete_hours": True},
        data_interval_start=covered,
        data_interval_end=target,
    )
    assert poke.is_done is False

    with connect(settings) as conn:
        for hour in sorted(missing):
            conn.execute(
                "INSERT INTO datalake_ops.run_manifest "
                "(pipeline, run_key, window_start, window_end, manifest) "
                "VALUES ('entity_operations_hourly', %s, %s, %s, '{}')",
                (f"{hour:%Y%m%d%H}", hour, hour + timedelta(hours=1)),
            )
        conn.commit()
    # Default params (require_complete_hours=true): the check passes, an empty month snapshots to
    # nothing.
    run_snapshot_dag(-1, conf={})
    assert snapshot_rows(settings, 0) == {}
    assert lake_snapshot(settings, 0).num_rows == 0
