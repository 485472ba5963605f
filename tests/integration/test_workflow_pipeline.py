"""The workflow pipeline on a real S3 server and PostgreSQL: the hourly steps run
the way the DAG chains them, one real dag.test() run, and the analyst reports; expected
results come from tests/integration/workflow_truth.py (plain Python over the raw events)."""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import workflow_truth as truth
from lakes import lake_digest
from query_cli import query_file

from datalake.s3 import iter_keys, s3_client
from datalake.warehouse import connect
from datalake_dev.producer import DefectRates, LandingObject, ProducerConfig, simulate, upload

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "include" / "sql" / "reports"
START = datetime(2026, 11, 3, 6, tzinfo=timezone.utc)
HOURS = [START + timedelta(hours=i) for i in range(4)]
TABLES = (
    "WorkflowExecution",
    "WorkflowPhases",
    "WorkflowTasks",
    "WorkflowCancellations",
    "WorkflowContexts",
)
ORG = "900001"


# ----------------------------------------------------------------------------- hand-made events


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def step(sid, name, status="UNASSIGNED", **extra):
    return {
        "id": sid,
        "definitionId": f"def-{sid}",
        "entityRefId": f"ref-{sid}",
        "name": name,
        "type": "STEP",
        "status": status,
        "created": iso(START),
        "lastUpdated": iso(START),
        "manuallyCreated": False,
        "enabled": True,
        **extra,
    }


def execution(xid, flow, when, status="STARTED", **extra):
    return {
        "id": xid,
        "definitionId": "wf-def",
        "orgId": ORG,
        "name": f"Workflow {xid}",
        "status": status,
        "trigger": "MANUAL",
        "creationTime": iso(START + timedelta(minutes=1)),
        "lastUpdateTime": iso(when),
        "assignedTo": ["u1"],
        "contexts": [{"id": f"ctx-{xid}", "title": "Opp", "schema": "opportunity"}],
        "flow": flow,
        **extra,
    }


def envelope(n, detail, detail_type="WorkflowExecutionUpdated"):
    when = datetime.fromisoformat(detail["lastUpdateTime"].replace("Z", "+00:00"))
    return {
        "version": "0",
        "id": f"hand-{n}",
        "detail-type": detail_type,
        "source": "workflow-execution-api",
        "account": "123456789012",
        "time": iso(when),
        "region": "eu-central-1",
        "resources": [],
        "detail": detail,
    }


def landing(hour, records: list[bytes], name, gz=False) -> LandingObject:
    body = b"\n".join(records) + b"\n"
    key = f"workflow_executions/{hour:%Y/%m/%d/%H}/hand-{name}{'.gz' if gz else ''}"
    return LandingObject(
        key=key,
        body=gzip.compress(body, mtime=0) if gz else body,
        arrival_hour=hour,
        stream="workflow_executions",
        events=[],
        broken=[],
    )


def dumps(event) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def handmade() -> tuple[list[LandingObject], int]:
    """The issue's scenarios; returns the objects and the number of records that must be
    quarantined."""
    h0, h1, h2, h3 = HOURS
    today = datetime.now(timezone.utc)
    overdue, later = iso(today - timedelta(days=5)), iso(today + timedelta(days=30))

    def x1_flow(removed=False):
        p1_steps = [step("x1-a", "Call", "COMPLETED" if removed else "ASSIGNED", assignedTo=["u1"])]
        if not removed:
            p1_steps.append(step("x1-b", "Check", "UNASSIGNED"))
        p1 = {
            "id": "x1-p1",
            "definitionId": "d-p1",
            "name": "Lead",
            "type": "SECTION",
            "assignedTo": [],
            "status": "COMPLETED" if removed else "IN_PROGRESS",
            "startedTime": iso(h0 + timedelta(minutes=20)),
            "steps": p1_steps,
        }
        if removed:
            p1["completedTime"] = iso(h1 + timedelta(minutes=10, seconds=30, milliseconds=700))
        p2 = {
            "id": "x1-p2",
            "definitionId": "d-p2",
            "name": "Offer",
            "type": "SECTION",
            "status": "OPEN",
            "steps": [step("x1-c", "Offer", "ASSIGNED", assignedTo=["u1", "u2"], dueDate=overdue)],
        }
        top = [step("x1-t2", "Invoice", "UNASSIGNED", dueDate=later)]
        if not removed:
            top.insert(
                0,
                step(
                    "x1-t1", "Catalog", "IN_PROGRESS", assignedTo=["u3"], assignedToInProgress="u3"
                ),
            )
        return [p1, top[0], p2, *top[1:]]

    x1_created = envelope(
        1, execution("x1", x1_flow(), h0 + timedelta(minutes=10)), "WorkflowExecutionCreated"
    )
    x1_removed = envelope(2, execution("x1", x1_flow(removed=True), h1 + timedelta(minutes=10)))

    x2_created = envelope(
        3,
        execution(
            "x2",
            [step("x2-a", "Call", "ASSIGNED", assignedTo=["u2"], dueDate=overdue)],
            h0 + timedelta(minutes=15),
        ),
        "WorkflowExecutionCreated",
    )
    x2_closed = envelope(
        4,
        execution(
            "x2",
            [step("x2-a", "Call", "ASSIGNED", assignedTo=["u2"], dueDate=overdue)],
            h1 + timedelta(minutes=20),
            status="CLOSED",
            completedTime=iso(h1 + timedelta(minutes=20)),
            selectedClosingReasons=[
                {"id": "cr-1", "title": "Kunde hat abgesagt"},
                {"id": "cr-2", "title": "Preis zu hoch"},
            ],
        ),
    )

    # Out of order across hours: v3 arrives (and is loaded) before the older v2.
    x3 = [
        envelope(5 + i, execution("x3", [step("x3-a", "Call", s)], h0 + timedelta(minutes=5) + d))
        for i, (s, d) in enumerate(
            [
                ("UNASSIGNED", timedelta()),
                ("ASSIGNED", timedelta(hours=1, minutes=30)),
                ("IN_PROGRESS", timedelta(hours=2, minutes=10)),
            ]
        )
    ]
    # Out of order within one object: newer first.
    x6_new = envelope(
        8,
        execution(
            "x6", [step("x6-a", "Call", "COMPLETED")], h1 + timedelta(minutes=50), status="DONE"
        ),
    )
    x6_old = envelope(
        9, execution("x6", [step("x6-a", "Call", "ASSIGNED")], h1 + timedelta(minutes=45))
    )
    # A delete, then an older update arriving late.
    x4_created = envelope(
        10,
        execution("x4", [step("x4-a", "Call")], h0 + timedelta(minutes=25)),
        "WorkflowExecutionCreated",
    )
    x4_deleted = envelope(
        11,
        execution("x4", [step("x4-a", "Call")], h1 + timedelta(minutes=40)),
        "WorkflowExecutionDeleted",
    )
    x4_late = envelope(
        12, execution("x4", [step("x4-a", "Call", "ASSIGNED")], h1 + timedelta(minutes=35))
    )
    # Duplicates: across hours (h0 and h2) and twice in one object (h1).
    x5_created = envelope(
        13,
        execution("x5", [step("x5-a", "Call")], h0 + timedelta(minutes=30)),
        "WorkflowExecutionCreated",
    )
    x5_updated = envelope(
        14,
        execution(
            "x5", [step("x5-a", "Call", "ASSIGNED", assignedTo=["u4"])], h1 + timedelta(minutes=5)
        ),
    )

    bad_status = envelope(
        15, execution("x7", [step("x7-a", "Call", "DONE")], h1 + timedelta(minutes=1))
    )
    unknown_type = envelope(
        16, execution("x8", [], h1 + timedelta(minutes=2)), "WorkflowExecutionArchived"
    )
    wrong_type = envelope(17, execution("x9", [], h1 + timedelta(minutes=3)) | {"orgId": [ORG]})
    truncated = dumps(envelope(18, execution("x10", [], h1 + timedelta(minutes=4))))[:150]
    non_utf8 = dumps(
        envelope(19, execution("x11", [step("x11-a", "Prüfen")], h1 + timedelta(minutes=4)))
    ).replace("Prüfen".encode(), "Prüfen".encode("cp1252"))
    # 600 characters, 1200 UTF-8 bytes: fits a PostgreSQL varchar(1024), not Redshift's (bytes)
    too_long = envelope(
        20, execution("x12", [step("x12-a", "Prüfung " + "ü" * 592)], h1 + timedelta(minutes=6))
    )

    objects = [
        landing(
            h0, [dumps(e) for e in (x1_created, x2_created, x3[0], x4_created, x5_created)], "h0"
        ),
        landing(
            h1,
            [
                dumps(x1_removed),
                dumps(x2_closed),
                dumps(x5_updated),
                dumps(x6_new),
                dumps(x6_old),
                dumps(x4_deleted),
                dumps(x5_updated),
                dumps(bad_status),
                dumps(unknown_type),
                dumps(wrong_type),
                truncated,
                non_utf8,
                dumps(too_long),
            ],
            "h1",
            gz=True,
        ),
        landing(h2, [dumps(x3[2]), dumps(x5_created)], "h2"),
        landing(h3, [dumps(x3[1]), dumps(x4_late)], "h3"),
    ]
    return objects, 6


# ----------------------------------------------------------------------------- helpers


def run_hours(settings, hours):
    from datalake.workflow.stream import WORKFLOW_STREAM

    client = s3_client(settings)
    # The producer's broken-record rate is far above the production threshold on purpose.
    return [WORKFLOW_STREAM.run_hour(client, settings, h, threshold=0.5) for h in hours]


def dump_tables(settings) -> dict[str, set[tuple]]:
    from datalake.workflow.flatten import TABLES as COLUMNS

    with connect(settings) as conn:
        return {
            t: set(
                conn.execute(f"SELECT {', '.join(COLUMNS[t])} FROM epilot_datalake.{t}").fetchall()
            )
            for t in TABLES
        }


def _empty_platform(settings):
    """What conftest's (function-scoped) clean_platform does, for the module-scoped fixture
    below."""
    client = s3_client(settings)
    for bucket in (settings.landing_bucket, settings.lake_bucket):
        keys = [k for k, _ in iter_keys(client, bucket, "")]
        for i in range(0, len(keys), 1000):
            client.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]]}
            )
    with connect(settings) as conn:
        for schema, table in conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('epilot_datalake', 'datalake_ops') "
            "AND table_type = 'BASE TABLE'"
        ).fetchall():
            conn.execute(f'DELETE FROM "{schema}"."{table}"')
        conn.commit()


@pytest.fixture(scope="module")
def loaded(platform):
    """Producer hours plus the hand-made scenarios, loaded hour by hour (shared by the tests
    below)."""
    settings = platform
    _empty_platform(settings)
    produced = simulate(
        START,
        len(HOURS),
        ProducerConfig(
            seed=5,
            entities_per_hour=60,
            workflow_updates_per_hour=25,
            defects=DefectRates.uniform(0.01),
        ),
    )
    produced = [o for o in produced if o.stream == "workflow_executions"]
    hand, hand_broken = handmade()
    objects = produced + hand
    upload(objects, s3_client(settings), settings.landing_bucket)
    manifests = run_hours(settings, HOURS)
    broken = sum(len(o.broken) for o in produced) + hand_broken
    return settings, objects, manifests, broken


# ----------------------------------------------------------------------------- tests


def test_tables_hold_exactly_the_latest_valid_state(loaded):
    settings, objects, manifests, broken = loaded
    accepted = truth.accepted_events(objects)
    states = truth.final_states(accepted)
    expected = truth.expected_tables(states)
    got = dump_tables(settings)
    for table in TABLES:
        assert got[table] == expected[table], table

    hand = {r[1]: r for r in got["WorkflowExecution"] if r[0] == ORG}
    # A task removed between two updates disappears; sections and top-level steps.
    x1 = sorted((r[1], r[2], r[3], r[6]) for r in got["WorkflowTasks"] if r[7] == "x1")
    assert x1 == [
        ("x1-a", "Lead", 0, "x1-p1"),
        ("x1-c", "Offer", 0, "x1-p2"),
        ("x1-t2", None, 0, None),
    ]
    assert sorted((r[0], r[1]) for r in got["WorkflowPhases"] if r[2] == "x1") == [
        ("x1-p1", 0),
        ("x1-p2", 1),
    ]
    # A closed execution with two closing reasons.
    assert hand["x2"][3] == "CLOSED"
    assert sorted(r[3] for r in got["WorkflowCancellations"] if r[1] == "x2") == [
        "Kunde hat abgesagt",
        "Preis zu hoch",
    ]
    # Out of order: the newest state stays, across hours and within one object.
    assert {r[5] for r in got["WorkflowTasks"] if r[7] == "x3"} == {"IN_PROGRESS"}
    assert hand["x6"][3] == "DONE"
    # A delete leaves no rows, and an older update arriving later does not bring it back.
    assert "x4" not in hand
    assert not any(r[1] == "x4" for r in got["WorkflowContexts"])
    # Broken and invalid hand-made records never reach the tables.
    assert not {"x7", "x8", "x9", "x10", "x11", "x12"} & set(hand)

    # Nothing lost, per run and in total.
    for m in manifests:
        assert m["records_read"] == m["loaded"] + m["duplicates"] + m["quarantined_total"]
        assert m["loaded"] == m["applied"] + m["superseded"]
    assert sum(m["loaded"] for m in manifests) == len(accepted)
    assert sum(m["quarantined_total"] for m in manifests) == broken
    h1, h2, h3 = manifests[1], manifests[2], manifests[3]
    assert h1["duplicates_in_batch"] >= 1  # x5's update twice in one object
    assert h2["duplicates_already_loaded"] >= 1  # x5's creation again, a later hour
    assert h3["superseded"] >= 2  # x3 v2 and x4's late update
    assert "WorkflowTasks.expect_column_values_to_be_in_set(status)" in {
        r["name"] for r in h1["expectation_results"] if not r["success"]
    }


def test_quarantine_keeps_the_broken_records_whole(loaded):
    from datalake.hourly.quarantine import read_quarantine

    settings, objects, manifests, _ = loaded
    client = s3_client(settings)
    records = [
        r
        for m in manifests
        for key in m["quarantine_files"]
        for r in read_quarantine(client, settings.lake_bucket, key)
    ]
    hand = [r for r in records if "/hand-" in r.source_key]
    reasons = sorted(r.reason for r in hand)
    assert reasons == [
        "failed_expectations",
        "failed_expectations",
        "invalid_json",
        "invalid_utf8",
        "too_long:WorkflowTasks.name",
        "wrong_type:detail.orgId",
    ]
    non_utf8 = next(r for r in hand if r.reason == "invalid_utf8")
    assert "Pr\xfcfen".encode("cp1252") in non_utf8.raw


def test_lake_snapshot_matches_the_warehouse_and_old_versions_are_pruned(loaded):
    from datalake.workflow import lake_snapshot as workflow_snapshot
    from datalake.workflow.flatten import TABLES as COLUMNS

    settings, _, manifests, _ = loaded
    client = s3_client(settings)
    pointer = workflow_snapshot.read_pointer(client, settings.lake_bucket)
    assert pointer["version"] == manifests[-1]["snapshot_version"]
    assert pointer["previous"] == manifests[-2]["snapshot_version"]
    tables = dump_tables(settings)
    for table in TABLES:
        snap = workflow_snapshot.read_snapshot(client, settings.lake_bucket, table)
        assert (
            set(zip(*[snap.column(c).to_pylist() for c in COLUMNS[table]], strict=False))
            == tables[table]
        ), table
        versions = {
            k.split("/")[2]
            for k, _ in iter_keys(client, settings.lake_bucket, f"workflow/{table.lower()}/")
        }
        assert versions == {f"version={pointer['version']}", f"version={pointer['previous']}"}
    assert not list(iter_keys(client, settings.lake_bucket, "_staging/workflow_executions/"))


def test_rerun_of_an_earlier_hour_never_moves_an_execution_backwards(loaded):
    settings = loaded[0]
    before = dump_tables(settings)
    manifest = run_hours(settings, [HOURS[1]])[0]
    assert dump_tables(settings) == before
    assert (
        manifest["records_read"]
        == manifest["loaded"] + manifest["duplicates"] + manifest["quarantined_total"]
    )


def test_failure_before_commit_changes_nothing(loaded, monkeypatch):
    from datalake.workflow import lake_snapshot as workflow_snapshot

    class Crash(RuntimeError):
        pass

    def crash(*args, **kwargs):  # called inside the load's transaction, after the merge
        raise Crash("the worker died before COMMIT")

    settings = loaded[0]
    client = s3_client(settings)
    before, pointer = (
        dump_tables(settings),
        workflow_snapshot.read_pointer(client, settings.lake_bucket),
    )
    monkeypatch.setattr(workflow_snapshot, "write_snapshot_local", crash)
    with pytest.raises(Crash):
        run_hours(settings, [HOURS[2]])
    assert dump_tables(settings) == before
    assert workflow_snapshot.read_pointer(client, settings.lake_bucket) == pointer


def test_reports_match_an_independent_computation(loaded):
    settings, objects, _, _ = loaded
    states = truth.final_states(truth.accepted_events(objects))

    rows = query_file(REPORTS / "executions_per_status_month.sql")
    assert {
        (r["org_id"], r["month"], r["status"]): r["executions"] for r in rows
    } == truth.executions_per_status_month(states)

    rows = query_file(REPORTS / "closing_reason_counts.sql")
    expected = truth.closing_reason_counts(states)
    assert {(r["org_id"], r["closing_reason_title"]): r["executions"] for r in rows} == expected
    assert expected[(ORG, "Preis zu hoch")] == 1

    rows = query_file(REPORTS / "phase_duration.sql")
    expected = truth.phase_durations(states)
    assert {(r["org_id"], r["phase_name"]) for r in rows} == set(expected)
    for r in rows:
        n, avg, p90 = expected[(r["org_id"], r["phase_name"])]
        assert r["completed_phases"] == n
        assert r["avg_hours"] == pytest.approx(avg) and r["p90_hours"] == pytest.approx(p90)
    # x1's phase: 0:20 -> 1:10:30.700 is 3030 whole seconds crossed (Redshift DATEDIFF), not 3031
    assert expected[(ORG, "Lead")][1] == pytest.approx((50 * 60 + 30) / 3600)

    rows = query_file(REPORTS / "open_tasks_per_assignee.sql")
    expected = truth.open_tasks_per_assignee(states)
    assert {(r["org_id"], r["assignee"]): r["open_tasks"] for r in rows} == expected
    assert (
        expected[(ORG, "u2")] == 1 and expected[(ORG, "u1")] == 1
    )  # x1-c is u1's and u2's; x2 is closed

    rows = query_file(REPORTS / "overdue_tasks.sql")
    expected = truth.overdue_tasks(states, date.today())
    assert {(r["workflow_execution_id"], r["task_id"]): r["days_overdue"] for r in rows} == expected
    assert (("x1", "x1-c") in expected) and not any(x == "x2" for x, _ in expected)


def test_dag_run_loads_an_hour_and_a_rerun_changes_nothing(
    clean_platform, airflow_db, warehouse_mode
):
    from dagrun import run_hourly

    hour = datetime(2026, 11, 5, 9, tzinfo=timezone.utc)
    objects = simulate(
        hour,
        1,
        ProducerConfig(
            seed=21, entities_per_hour=80, workflow_updates_per_hour=20, defects=DefectRates.none()
        ),
    )
    upload(
        [o for o in objects if o.stream == "workflow_executions"],
        s3_client(clean_platform),
        clean_platform.landing_bucket,
    )
    first = run_hourly("workflow_executions_hourly", hour)
    assert first.state == "success"
    tables, lake = dump_tables(clean_platform), lake_digest(clean_platform)
    assert tables["WorkflowExecution"] and tables["WorkflowTasks"], "nothing loaded"
    assert (
        "workflow/_current.json" in lake and "manifests/workflow_executions/2026110509.json" in lake
    )
    expected = truth.expected_tables(truth.final_states(truth.accepted_events(objects)))
    assert tables == {t: expected[t] for t in TABLES}

    second = run_hourly("workflow_executions_hourly", hour)
    assert second.state == "success"
    assert dump_tables(clean_platform) == tables
    if warehouse_mode == "postgres":
        assert lake_digest(clean_platform) == lake  # content-addressed versions: the same bytes
    else:
        # UNLOAD writes a fresh version per run (named after the run, not the content): the
        # pointer moves to it, keeps the one before, and the lake reads back as the tables.
        from datalake.workflow import lake_snapshot

        client = s3_client(clean_platform)
        pointer = lake_snapshot.read_pointer(client, clean_platform.lake_bucket)
        assert pointer["previous"] and pointer["version"] != pointer["previous"]
        for table in TABLES:
            versions = {
                k.split("version=", 1)[1].split("/", 1)[0]
                for k in lake_digest(clean_platform)
                if k.startswith(lake_snapshot.table_folder(table))
            }
            assert versions == {pointer["version"], pointer["previous"]}, table
            assert lake_snapshot.read_snapshot(
                client, clean_platform.lake_bucket, table
            ).num_rows == len(tables[table]), table
