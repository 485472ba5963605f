"""Hostile or buggy producers against the real pipeline (dag.test(), moto S3 server, PostgreSQL)
and the Data lake page as Airflow mounts it: what is stored is readable by every reader, what
is not is quarantined with its reason, and nothing a producer wrote runs in a browser."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from dagrun import run_dag, run_hourly
from test_datalake_page import page_server  # noqa: F401  (the plugin as Airflow mounts it)
from test_entity_pipeline_cases import enc, event, rows

from datalake.hourly.quarantine import read_quarantine
from datalake.s3 import iter_keys, s3_client
from datalake.warehouse import connect

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DATALAKE = str(Path(sys.executable).parent / "datalake")
HOUR = datetime(2026, 11, 3, 7, tzinfo=timezone.utc)
RUN_KEY = "2026110307"
T = HOUR - timedelta(minutes=30)
LINE_BREAKERS = "a\u2028b\u2029c\u0085d"
SCRIPT = "<script>alert(1)</script>"


def eid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


ENTITY, WORKFLOW = "entity_operations", "workflow_executions"


def prefix(hour: datetime, stream: str = ENTITY) -> str:
    return f"{stream}/{hour:%Y/%m/%d/%H}/"


def put(client, bucket, hour, name, body: bytes, stream: str = ENTITY):
    client.put_object(Bucket=bucket, Key=prefix(hour, stream) + name, Body=body)


def manifest_of(client, bucket, run_key: str, stream: str = ENTITY) -> dict:
    key = f"manifests/{stream}/{run_key}.json"
    return json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())


def quarantined(client, bucket, run_key: str, stream: str = ENTITY):
    return [
        r
        for key, _ in iter_keys(client, bucket, f"quarantine/{stream}/{run_key}/")
        for r in read_quarantine(client, bucket, key)
    ]


def raw_with(e: dict, marker: str, replacement: bytes) -> bytes:
    text = json.dumps(e, ensure_ascii=False).encode("utf-8")
    return text.replace(json.dumps(marker).encode(), replacement)


def assert_accounted(manifest: dict) -> None:
    accounted = manifest["loaded"] + manifest["duplicates"] + manifest["quarantined_total"]
    assert manifest["records_read"] == accounted


def _id_or_reason(record) -> str:
    """The event id of a quarantined record that is JSON (NaN is not), else its reason."""
    try:
        return json.loads(record.raw, parse_constant=_not_json)["id"]
    except ValueError:
        return record.reason


def _not_json(name: str):
    raise ValueError(name)


BAD_TIMES = {  # not EventBridge's layout: quarantined, never guessed
    "date": "2026-11-02",
    "week_date": "2026-W45-1T06:30:00Z",
    "compact": "20261103T063000Z",
    "offset_seconds": "2026-11-03T07:30:00+01:00:30",
    "offset": "2026-11-03T07:30:00+01:00",
}


@pytest.fixture
def hostile_hour(clean_platform, airflow_db, monkeypatch):
    """One hour of good events next to every kind of hostile record, run through the DAG."""
    settings = clean_platform
    client = s3_client(settings)
    good = [
        event(eid(f"good-{i}"), "createEntity", T + timedelta(seconds=i), title="Solar")
        for i in range(30)
    ]
    nan = event(eid("nan"), "createEntity", T)
    nan["detail"]["payload"]["score"] = "__NaN__"
    nul = event(eid("nul"), "createEntity", T, title="So\x00lar")  # json.dumps writes \u0000
    far = event(eid("far"), "createEntity", T, time="3000-01-01T00:00:00Z")
    times = {
        name: event(eid(name), "createEntity", T, time=value) for name, value in BAD_TIMES.items()
    }
    # Fails the operation set: quarantined with its line separators.
    breakers = event(eid("breakers"), "renameEntity", T, title=LINE_BREAKERS)
    script = event(SCRIPT, "createEntity", T)  # entity_id not a UUID: quarantined, in the docs
    lines = [enc(e) for e in good[:20]] + [
        raw_with(nan, "__NaN__", b"NaN"),
        enc(nul),
        enc(far),
        *(enc(e) for e in times.values()),
        json.dumps(breakers, ensure_ascii=False).encode("utf-8"),
    ]
    put(client, settings.landing_bucket, HOUR, "mixed.json", b"\n".join(lines) + b"\n")
    # First in the quarantine file's order, so that it is among the page's samples.
    put(client, settings.landing_bucket, HOUR, "a-script.json", enc(script))
    for i, e in enumerate(good[20:]):  # small objects that start with a byte-order mark
        put(
            client, settings.landing_bucket, HOUR, f"bom-{i}.json", b"\xef\xbb\xbf" + enc(e) + b"\n"
        )
    put(client, settings.landing_bucket, HOUR, "zero.gz", b"")
    put(client, settings.landing_bucket, HOUR, "", b"")  # the hour's directory marker
    monkeypatch.setenv("DATALAKE_QUARANTINE_THRESHOLD", "0.9")  # the gate has its own test below
    monkeypatch.setenv("DATALAKE_DATA_DOCS_RETENTION_DAYS", "3650")  # the hour is weeks old
    assert run_hourly("entity_operations_hourly", HOUR).state == "success"
    return (
        settings,
        client,
        {
            "good": good,
            "nan": nan,
            "nul": nul,
            "far": far,
            "times": times,
            "breakers": breakers,
            "script": script,
        },
    )


def test_the_field_contract_is_enforced_with_reasons(hostile_hour):
    settings, client, events = hostile_hour
    manifest = manifest_of(client, settings.lake_bucket, RUN_KEY)
    records = {_id_or_reason(r): r for r in quarantined(client, settings.lake_bucket, RUN_KEY)}
    loaded = {r["id"] for r in rows(settings)}

    assert loaded == {e["id"] for e in events["good"]}  # every good event, the BOM ones included
    nan = raw_with(events["nan"], "__NaN__", b"NaN")
    assert records["invalid_json:non_finite_number"].raw == nan
    assert records[events["nul"]["id"]].reason == "unstorable_text:nul_character"
    for name in BAD_TIMES:
        record = records[events["times"][name]["id"]]
        assert record.reason == "failed_expectations", name
        assert "expect_column_values_to_match_regex(time)" in record.failed_expectations, name
    # A real instant past pandas' 2262: in the future, not "not a real instant".
    far = records[events["far"]["id"]]
    assert far.failed_expectations == [
        "expect_column_values_to_be_between(_time_seconds_after_now)"
    ]
    breakers = json.loads(records[events["breakers"]["id"]].raw)
    assert breakers["detail"]["payload"]["source"]["title"] == LINE_BREAKERS

    assert "invalid_json" not in manifest["quarantined"]  # no BOM became a record
    assert manifest["skipped_objects"] == {
        prefix(HOUR): "directory_marker",
        prefix(HOUR) + "zero.gz": "empty_object",
    }
    assert "empty_object" not in manifest["quarantined"]
    assert_accounted(manifest)
    assert manifest["quarantined_total"] == len(records)


def test_docs_example_1_runs_over_the_warehouse_that_received_them(hostile_hour):
    settings, _, events = hostile_hour
    example = str(ROOT / "include/sql/examples/docs_example_1.sql")
    out = subprocess.run(
        [DATALAKE, "query", "--file", example, "--format", "json"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    got = [(r["journey title"], r["count"]) for r in json.loads(out.stdout)]
    assert got == [("Solar", len(events["good"]))]
    with connect(settings) as conn:  # every reader parses what is stored
        (parsed,) = conn.execute(
            "SELECT count(*) FROM epilot_datalake.entity_operations "
            "WHERE (detail::json ->> 'payload') IS NOT NULL"
        ).fetchone()
    assert parsed == len(events["good"])


def test_the_hour_page_and_the_data_docs_escape_and_forbid_inline_script(hostile_hour, page_server):  # noqa: F811
    settings, client, _ = hostile_hour
    auth = {"Authorization": f"Bearer {page_server['token']}"}
    page = httpx.get(page_server["url"] + "/datalake/", headers=auth)
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    script_src = policy.split("script-src")[1].split(";")[0]
    assert script_src.strip() == "'self'"
    assert "<script>" not in page.text  # the page's own script is a file, allowed by 'self'
    script = httpx.get(page_server["url"] + "/datalake/static/page.js", headers=auth)
    assert script.status_code == 200 and "fetch(" in script.text

    hour_url = page_server["url"] + f"/datalake/hours/entity_operations/{RUN_KEY}"
    hour = httpx.get(hour_url, headers=auth)
    assert hour.status_code == 200, hour.text[-2000:]  # a record holding U+2028 does not break it
    assert SCRIPT not in hour.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in hour.text
    assert "content-security-policy" in hour.headers

    # A quarantine file damaged by a hand edit: the page names the bad line and shows the rest.
    key = manifest_of(client, settings.lake_bucket, RUN_KEY)["quarantine_files"][0]
    body = gzip.decompress(client.get_object(Bucket=settings.lake_bucket, Key=key)["Body"].read())
    damaged = gzip.compress(b"{not json\n" + body)
    client.put_object(Bucket=settings.lake_bucket, Key=key, Body=damaged)
    hour = httpx.get(hour_url, headers=auth)
    assert hour.status_code == 200 and f"{key} line 1" in hour.text
    assert "&lt;script&gt;" in hour.text

    from datalake.validation.data_docs import hour_pages

    bodies = []
    for path in hour_pages(client, settings.lake_bucket, ENTITY, RUN_KEY):
        assert f"/docs/{path}" in hour.text  # the hour's page links the run's Data Docs
        docs = httpx.get(page_server["url"] + f"/datalake/docs/{path}", headers=auth)
        assert docs.status_code == 200 and docs.headers["content-security-policy"] == policy
        bodies.append(docs.text)
    text = "".join(bodies)
    assert "entity_id" in text and "alert(1)" in text  # the value is shown ...
    assert SCRIPT not in text and "<script>alert" not in text  # ... as text
    assert "&lt;script&gt;alert(1)" in text and "&amp;lt;" not in text  # escaped once


def test_replay_reads_back_records_holding_line_separators(hostile_hour):
    settings, client, events = hostile_hour
    conf = {"start": HOUR.isoformat(), "end": (HOUR + timedelta(hours=1)).isoformat()}
    assert run_dag("quarantine_replay", conf=conf).state == "success"
    replayed = manifest_of(client, settings.lake_bucket, f"replay-{RUN_KEY}")
    assert replayed["records_read"] == len(quarantined(client, settings.lake_bucket, RUN_KEY))
    still = quarantined(client, settings.lake_bucket, f"replay-{RUN_KEY}")
    assert events["breakers"]["id"] in {_id_or_reason(r) for r in still}


def test_byte_order_marks_and_empty_objects_do_not_fail_an_hour(clean_platform, airflow_db):
    """At the default quarantine threshold: 20 objects with a BOM, a zero-byte object and a
    directory marker are 20 events and two reported objects, not 22 quarantined records."""
    hour = HOUR + timedelta(hours=2)
    client = s3_client(clean_platform)
    for i in range(20):
        e = event(eid(f"bom-{i}"), "createEntity", hour - timedelta(minutes=5))
        put(client, clean_platform.landing_bucket, hour, f"bom-{i}.json", b"\xef\xbb\xbf" + enc(e))
    put(client, clean_platform.landing_bucket, hour, "zero.json", b"")
    put(client, clean_platform.landing_bucket, hour, "", b"")
    assert run_hourly("entity_operations_hourly", hour).state == "success"
    manifest = manifest_of(client, clean_platform.lake_bucket, hour.strftime("%Y%m%d%H"))
    counts = (manifest["loaded"], manifest["quarantined_total"], len(manifest["skipped_objects"]))
    assert counts == (20, 0, 2)


def test_an_hour_of_only_empty_objects_passes_the_gate():
    from datalake.hourly.gate import assess_hour

    batch = {
        "objects": 3,
        "records_read": 0,
        "parsed": 0,
        "quarantined": {},
        "skipped_objects": {"a/": "directory_marker", "a/x": "empty_object", "a/y": "empty_object"},
    }
    assert assess_hour([batch], 0.05)["quarantined"] == 0


def test_two_runs_of_one_hour_at_once_both_succeed(clean_platform, monkeypatch):
    """A scheduled run and a manual window over the same hour (max_active_runs allows both):
    each stages under its own attempt, none deletes the other's files, both loads commit, and
    each keeps its own GX validation results and Data Docs."""
    from datalake.entity.stream import ENTITY_STREAM as stream
    from datalake.hourly.stream import Hour

    hour = HOUR + timedelta(hours=3)
    client = s3_client(clean_platform)
    good = [
        event(eid(f"twice-{i}"), "createEntity", hour - timedelta(minutes=i)) for i in range(10)
    ]
    bad = event(eid("twice-bad"), "renameEntity", hour - timedelta(minutes=1))
    put(
        client,
        clean_platform.landing_bucket,
        hour,
        "a.json",
        b"\n".join(enc(e) for e in good + [bad]),
    )
    window = Hour.of(hour)

    first = stream.plan(client, clean_platform, window)
    first_counts = [stream.process(client, clean_platform, window, b) for b in first]
    second = stream.plan(client, clean_platform, window)  # starts while the first is between steps
    second_counts = [stream.process(client, clean_platform, window, b) for b in second]
    for counts in first_counts:  # the second plan deleted nothing of the first run
        client.head_object(Bucket=clean_platform.lake_bucket, Key=counts["staged_key"])
    m1 = stream.load(client, clean_platform, window, first_counts)
    m2 = stream.load(client, clean_platform, window, second_counts)  # its staging is still there

    assert (m1["loaded"], m2["loaded"]) == (10, 10) and len(rows(clean_platform)) == 10
    (record,) = quarantined(client, clean_platform.lake_bucket, hour.strftime("%Y%m%d%H"))
    assert record.raw == enc(bad) and m2["quarantine_files"] == m1["quarantine_files"]
    left = [k for k, _ in iter_keys(client, clean_platform.lake_bucket, "_staging/")]
    assert left == []  # each load removed its own attempt, and only that

    # GX results: the second run's did not replace the first's, both are still there.
    results = [c["results_key"] for c in first_counts + second_counts]
    assert all(results) and len(set(results)) == len(results)
    for key in results:
        client.head_object(Bucket=clean_platform.lake_bucket, Key=key)
    from datalake.hourly.lake import run_attempt
    from datalake.validation.data_docs import hour_index_keys, hour_pages, publish_loaded_hour

    monkeypatch.setenv("DATALAKE_DATA_DOCS_RETENTION_DAYS", "3650")  # the hour is weeks old
    run_key, bucket = window.run_key, clean_platform.lake_bucket
    pages = [
        publish_loaded_hour(client, bucket, stream.name, run_key, run_attempt(counts), counts)
        for counts in (first_counts, second_counts)
    ]
    assert pages[0] and pages[1] and not set(pages[0]) & set(pages[1])
    for page in pages[0] + pages[1]:  # each run's pages, findable from its own page list
        client.head_object(Bucket=bucket, Key=f"data_docs/{page}")
    assert len(hour_index_keys(client, bucket, stream.name, run_key)) == 2
    assert hour_pages(client, bucket, stream.name, run_key) in pages  # what the hour page links


def test_same_id_with_different_content_in_two_hours_is_quarantined_as_a_conflict(
    clean_platform, airflow_db, warehouse_mode
):
    h1, h2 = HOUR + timedelta(hours=4), HOUR + timedelta(hours=5)
    client = s3_client(clean_platform)
    first = event(
        eid("conflict"),
        "createEntity",
        h1 - timedelta(minutes=5),
        title="first",
        event_id=eid("e1"),
    )
    again = event(eid("same"), "createEntity", h1 - timedelta(minutes=5), event_id=eid("e2"))
    second = json.loads(json.dumps(first))
    second["detail"]["payload"]["source"]["title"] = "second"  # same id, other content
    put(client, clean_platform.landing_bucket, h1, "a.json", enc(first) + b"\n" + enc(again))
    put(client, clean_platform.landing_bucket, h2, "b.json", enc(second) + b"\n" + enc(again))

    for hour in (h1, h2, h2):  # the second hour twice: a rerun gives the same verdict
        assert run_hourly("entity_operations_hourly", hour).state == "success"
    manifest = manifest_of(client, clean_platform.lake_bucket, h2.strftime("%Y%m%d%H"))
    assert manifest["quarantined"] == {"conflicting_duplicate": 1}
    # The identical copy of `again` is a duplicate, as before.
    assert (manifest["loaded"], manifest["duplicates_already_loaded"]) == (0, 1)
    assert_accounted(manifest)
    (record,) = quarantined(client, clean_platform.lake_bucket, h2.strftime("%Y%m%d%H"))
    assert record.reason == "conflicting_duplicate" and record.raw == enc(second)
    assert record.source_key == prefix(h2) + "b.json" and record.position == 0
    assert record.conflict["id"] == first["id"]
    assert record.conflict["loaded_by"] == h1.strftime("%Y%m%d%H")
    assert record.conflict["loaded_hash"] != record.conflict["copy_hash"]
    (row,) = [r for r in rows(clean_platform) if r["id"] == first["id"]]
    assert json.loads(row["detail"])["payload"]["source"]["title"] == "first"


def workflow_conflict(kept: dict, copy: dict, loaded_by: str) -> dict:
    """The `conflict` of a quarantined workflow copy, hashed as the flattening hashes."""
    from datalake.workflow.flatten import flatten_workflow_event

    return {
        "id": kept["id"],
        "loaded_by": loaded_by,
        "loaded_hash": flatten_workflow_event(kept).content_hash,
        "copy_hash": flatten_workflow_event(copy).content_hash,
    }


def task_names(settings, task_id: str) -> list[tuple]:
    with connect(settings) as conn:
        return conn.execute(
            "SELECT name FROM epilot_datalake.WorkflowTasks WHERE id = %s", (task_id,)
        ).fetchall()


def test_workflow_event_id_with_different_content_in_two_hours_is_a_conflict(
    clean_platform, airflow_db, warehouse_mode
):
    """The workflow stream as the entity stream: an identical re-delivery (keys in another
    order, other spacing) is a silent duplicate, another version under a loaded id is
    quarantined with both content hashes and the first loaded stays; an id loaded before
    hashes were kept (NULL) has unknown content, so its copies stay plain duplicates."""
    from test_workflow_pipeline import dumps, envelope, execution, step

    h1, h2 = HOUR + timedelta(hours=6), HOUR + timedelta(hours=7)
    when = h1 - timedelta(minutes=10)
    client, bucket = s3_client(clean_platform), clean_platform.lake_bucket
    first = envelope("conflict", execution("wx-1", [step("wx-1-a", "Call")], when))
    again = envelope("again", execution("wx-2", [step("wx-2-a", "Call")], when))
    second = json.loads(json.dumps(first))
    second["detail"]["flow"][0]["name"] = "Call back"  # same id, another task name
    resent = json.dumps(dict(reversed(list(again.items()))), separators=(", ", ": ")).encode()
    land = clean_platform.landing_bucket
    put(client, land, h1, "a.json", dumps(first) + b"\n" + dumps(again), WORKFLOW)
    put(client, land, h2, "b.json", dumps(second) + b"\n" + resent, WORKFLOW)

    for hour in (h1, h2, h2):  # the second hour twice: a rerun gives the same verdict
        assert run_hourly("workflow_executions_hourly", hour).state == "success"
    run_key = h2.strftime("%Y%m%d%H")
    manifest = manifest_of(client, bucket, run_key, WORKFLOW)
    assert manifest["quarantined"] == {"conflicting_duplicate": 1}
    assert (manifest["loaded"], manifest["duplicates_already_loaded"]) == (0, 1)
    assert_accounted(manifest)
    (record,) = quarantined(client, bucket, run_key, WORKFLOW)
    assert record.reason == "conflicting_duplicate" and record.raw == dumps(second)
    assert record.source_key == prefix(h2, WORKFLOW) + "b.json" and record.position == 0
    assert record.conflict == workflow_conflict(first, second, h1.strftime("%Y%m%d%H"))
    assert task_names(clean_platform, "wx-1-a") == [("Call",)]  # the version loaded first stays
    with connect(clean_platform) as conn:
        conn.execute(
            "UPDATE datalake_ops.workflow_event_owner SET content_hash = NULL WHERE id = %s",
            (first["id"],),
        )
        conn.commit()
    assert run_hourly("workflow_executions_hourly", h2).state == "success"
    manifest = manifest_of(client, bucket, run_key, WORKFLOW)
    assert manifest["quarantined"] == {} and manifest["duplicates_already_loaded"] == 2
    assert quarantined(client, bucket, run_key, WORKFLOW) == []


def _copy_conflicts(client, bucket: str, run_key: str, stream: str) -> list:
    return sorted(
        (r.raw, r.source_key, r.position, r.conflict)
        for r in quarantined(client, bucket, run_key, stream)
        if r.reason == "conflicting_duplicate"
    )


def test_copies_of_an_id_with_different_content_in_one_hour_are_conflicts(
    clean_platform, airflow_db, warehouse_mode, monkeypatch
):
    """Within one hour the first delivered copy is kept; an identical copy is a duplicate
    whether the batch sees it (same chunk) or the load does (another chunk), a copy with other
    content is quarantined against the kept one, and a rerun gives the same verdicts."""
    from datalake.entity.conflicts import loaded_rows
    from datalake.hourly.conflicts import content_hash

    monkeypatch.setenv("DATALAKE_CHUNK_ROWS", "2")  # the hour's copies fall in three chunks
    hour, run_key = HOUR + timedelta(hours=8), (HOUR + timedelta(hours=8)).strftime("%Y%m%d%H")
    client, bucket = s3_client(clean_platform), clean_platform.lake_bucket
    when = hour - timedelta(minutes=5)
    first = event(eid("copied"), "createEntity", when, title="first", event_id=eid("c1"))
    other = event(eid("other"), "createEntity", when, event_id=eid("c2"))
    second, third = json.loads(enc(first)), json.loads(enc(first))
    second["detail"]["payload"]["source"]["title"] = "second"
    third["detail"]["payload"]["source"]["title"] = "third"
    # Chunks: [first, second] (the identical copy in between dropped by the batch),
    # [other, first again] (compared by the load), [third].
    a = b"\n".join(enc(e) for e in (first, first, second, other))
    put(client, clean_platform.landing_bucket, hour, "a.json", a)
    put(client, clean_platform.landing_bucket, hour, "b.json", enc(first) + b"\n" + enc(third))

    verdicts = []
    for _ in range(2):  # a rerun gives the same verdict and keeps the same copy
        assert run_hourly("entity_operations_hourly", hour).state == "success"
        manifest = manifest_of(client, bucket, run_key)
        assert manifest["quarantined"] == {"conflicting_duplicate": 2}
        assert (manifest["loaded"], manifest["duplicates_in_batch"]) == (2, 1)
        assert manifest["duplicates_in_run"] == 1
        assert_accounted(manifest)
        (row,) = [r for r in rows(clean_platform) if r["id"] == first["id"]]
        assert json.loads(row["detail"])["payload"]["source"]["title"] == "first"
        verdicts.append(_copy_conflicts(client, bucket, run_key, ENTITY))
    assert verdicts[0] == verdicts[1]
    with connect(clean_platform) as conn:
        kept_hash = content_hash(loaded_rows(conn, [first["id"]])[first["id"]])
    assert [record[:3] for record in verdicts[0]] == sorted(
        [(enc(second), prefix(hour) + "a.json", 2), (enc(third), prefix(hour) + "b.json", 1)]
    )
    conflicts = [record[3] for record in verdicts[0]]
    assert {(c["id"], c["loaded_by"], c["loaded_hash"]) for c in conflicts} == {
        (first["id"], run_key, kept_hash)
    }
    assert len({kept_hash, *(c["copy_hash"] for c in conflicts)}) == 3


def test_workflow_copies_with_different_content_in_one_hour_are_conflicts(
    clean_platform, airflow_db, warehouse_mode
):
    """The workflow stream as the entity stream within one hour: a re-delivery in another key
    order is a duplicate, another version under the id is quarantined, the first stays."""
    from test_workflow_pipeline import dumps, envelope, execution, step

    hour = HOUR + timedelta(hours=9)
    run_key, when = hour.strftime("%Y%m%d%H"), hour - timedelta(minutes=10)
    client, bucket = s3_client(clean_platform), clean_platform.lake_bucket
    first = envelope("copied", execution("wc-1", [step("wc-1-a", "Call")], when))
    second = json.loads(json.dumps(first))
    second["detail"]["flow"][0]["name"] = "Call back"
    resent = json.dumps(dict(reversed(list(first.items())))).encode()
    body = b"\n".join((dumps(first), resent, dumps(second)))
    put(client, clean_platform.landing_bucket, hour, "a.json", body, WORKFLOW)

    assert run_hourly("workflow_executions_hourly", hour).state == "success"
    manifest = manifest_of(client, bucket, run_key, WORKFLOW)
    assert manifest["quarantined"] == {"conflicting_duplicate": 1}
    assert (manifest["loaded"], manifest["duplicates"]) == (1, 1)
    assert_accounted(manifest)
    assert _copy_conflicts(client, bucket, run_key, WORKFLOW) == [
        (
            dumps(second),
            prefix(hour, WORKFLOW) + "a.json",
            2,
            workflow_conflict(first, second, run_key),
        )
    ]
    assert task_names(clean_platform, "wc-1-a") == [("Call",)]


def test_init_adds_the_content_hash_column_to_an_existing_warehouse(mode_settings):
    """A warehouse made before the owners' content hashes: `datalake init` adds the column
    (Redshift has no ADD COLUMN IF NOT EXISTS), once."""
    from datalake.warehouse_init import add_missing_columns

    with connect(mode_settings) as conn:
        conn.execute("ALTER TABLE datalake_ops.workflow_event_owner DROP COLUMN content_hash")
        assert add_missing_columns(conn) == ["datalake_ops.workflow_event_owner.content_hash"]
        assert add_missing_columns(conn) == []
        conn.commit()


def test_attempts_of_dead_runs_are_cleared_after_a_day_and_live_ones_never(platform):
    from datalake.hourly.lake import attempt_prefix, clear_stale_attempts

    client = s3_client(platform)
    key = attempt_prefix("entity_operations", "2026110399", "a" * 16) + "batch-00000.parquet"
    client.put_object(Bucket=platform.lake_bucket, Key=key, Body=b"x")
    now = datetime.now(timezone.utc)
    stream, run_key = "entity_operations", "2026110399"
    assert clear_stale_attempts(client, platform.lake_bucket, stream, run_key, now) == 0
    later = now + timedelta(hours=25)
    assert clear_stale_attempts(client, platform.lake_bucket, stream, run_key, later) == 1
