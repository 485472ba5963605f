"""unreadable landing objects never stop an hour. One real DAG run (dag.test(), moto
S3 server, PostgreSQL) over an hour holding every kind of bad object next to good ones; then
the quarantine gate's failure is final at once; then a throttled GET against a real HTTP server."""

from __future__ import annotations

import gzip
import http.server
import json
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from dagrun import run_hourly
from test_entity_pipeline_cases import enc, event, rows

from datalake.hourly import landing
from datalake.hourly.quarantine import read_quarantine
from datalake.s3 import iter_keys, s3_client
from datalake.warehouse import connect

pytestmark = pytest.mark.integration

HOUR = datetime(2026, 11, 3, 7, tzinfo=timezone.utc)
PREFIX = f"entity_operations/{HOUR:%Y/%m/%d/%H}/"
T = HOUR - timedelta(minutes=30)


def eid(name: str) -> str:
    """Entity ids are UUIDs (the suite checks): a stable one per readable name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def ndjson(events) -> bytes:
    return b"".join(enc(e) + b"\n" for e in events)


def bad_hour(client, bucket) -> dict:
    """Puts the hour's objects; returns what each should give."""
    good = [event(eid(f"good-{i}"), "createEntity", T + timedelta(seconds=i)) for i in range(40)]
    truncated = [
        event(eid(f"cut-{i}"), "createEntity", T + timedelta(seconds=i)) for i in range(300)
    ]
    members = [
        event(eid(f"member-{i}"), "createEntity", T + timedelta(seconds=i)) for i in range(30)
    ]
    utf8 = [event(eid("utf8-a"), "createEntity", T), event(eid("utf8-b"), "createEntity", T)]
    # An entity whose latest event is too large for varchar(65535): it keeps its earlier state.
    small = event(eid("big-entity"), "createEntity", T, title="small")
    large = event(eid("big-entity"), "updateEntity", T + timedelta(minutes=1), title="x" * 70_000)
    long_id = event(eid("long-id"), "createEntity", T, event_id="i" * 300)  # id is varchar(256)
    truncated_body = gzip.compress(ndjson(truncated))
    objects = {
        "good.json": ndjson(good[:20]),
        "good.gz": gzip.compress(ndjson(good[20:])),
        "truncated.gz": truncated_body[: len(truncated_body) // 2],
        "members.gz": b"".join(
            gzip.compress(ndjson(members[i : i + 10])) for i in range(0, 30, 10)
        ),
        "not-gzip.gz": b"\x00\x01binary junk that is not gzip\xff\xfe" * 4,
        "bad-utf8.gz": gzip.compress(
            enc(utf8[0]) + b"\n" + b'{"version":"0","id":"\xff\xfe"}\n' + enc(utf8[1]) + b"\n"
        ),
        "zero-bytes.gz": b"",
        "large-detail.json": ndjson([small, large, long_id]),
        "deleted-after-listing.gz": gzip.compress(ndjson([event(eid("ghost"), "createEntity", T)])),
    }
    for name, body in objects.items():
        client.put_object(Bucket=bucket, Key=PREFIX + name, Body=body)
    return {"good": 40, "members": 30, "utf8": 2, "truncated_total": 300}


def test_bad_objects_are_quarantined_and_the_good_ones_load(
    clean_platform, airflow_db, monkeypatch
):
    settings = clean_platform
    client = s3_client(settings)
    bad_hour(client, settings.landing_bucket)
    monkeypatch.setenv("DATALAKE_QUARANTINE_THRESHOLD", "0.9")  # this hour is mostly a torture test

    listed = landing.list_window_objects

    def list_then_lose_one(*args, **kwargs):  # another process deletes an object after the listing
        objects = listed(*args, **kwargs)
        client.delete_object(
            Bucket=settings.landing_bucket, Key=PREFIX + "deleted-after-listing.gz"
        )
        return objects

    monkeypatch.setattr(landing, "list_window_objects", list_then_lose_one)
    dagrun = run_hourly("entity_operations_hourly", HOUR)
    assert dagrun.state == "success"

    manifest = json.loads(
        client.get_object(
            Bucket=settings.lake_bucket, Key="manifests/entity_operations/2026110307.json"
        )["Body"].read()
    )
    quarantined = [
        r
        for key, _ in iter_keys(
            client, settings.lake_bucket, "quarantine/entity_operations/2026110307/"
        )
        for r in read_quarantine(client, settings.lake_bucket, key)
    ]
    by_object = {}
    for record in quarantined:
        by_object.setdefault(record.source_key.rsplit("/", 1)[1], []).append(record)

    (cut,) = by_object["truncated.gz"]
    assert cut.reason == "truncated_object" and cut.byte_offset > 0 and cut.object_offset > 0
    (missing,) = by_object["deleted-after-listing.gz"]
    assert missing.reason == "object_missing"
    assert "zero-bytes.gz" not in by_object  # no record in it: reported, not quarantined
    assert manifest["skipped_objects"] == {PREFIX + "zero-bytes.gz": "empty_object"}
    assert {r.reason for r in by_object["not-gzip.gz"]} <= {"invalid_json", "invalid_utf8"}
    assert [r.reason for r in by_object["bad-utf8.gz"]] == ["invalid_utf8"]
    large, long_id = by_object["large-detail.json"]
    assert large.reason == "detail_too_large" and len(large.raw) > 70_000  # whole, not truncated
    assert long_id.reason == "too_long:id"

    loaded = {r["id"]: r for r in rows(settings)}
    entities = {r["entity_id"] for r in loaded.values()}
    kept_before_cut = [i for i in range(300) if eid(f"cut-{i}") in entities]
    assert kept_before_cut == list(range(len(kept_before_cut))) and 0 < len(kept_before_cut) < 300
    assert {eid(f"good-{i}") for i in range(40)} <= entities
    assert {eid(f"member-{i}") for i in range(30)} <= entities  # every gzip member read
    assert {eid("utf8-a"), eid("utf8-b")} <= entities and eid("ghost") not in entities
    # The warehouse and current_entities agree: the oversized update is not the latest state.
    (big,) = [r for r in loaded.values() if r["entity_id"] == eid("big-entity")]
    assert big["operation"] == "createEntity" and len(big["detail"]) < 65535
    (current,) = rows(settings, "current_entities", f"entity_id = '{eid('big-entity')}'")
    assert current["detail"] == big["detail"]

    assert manifest["loaded"] == len(loaded)
    assert (
        manifest["records_read"]
        == manifest["loaded"] + manifest["duplicates"] + manifest["quarantined_total"]
    )
    for reason in (
        "truncated_object",
        "object_missing",
        "detail_too_large",
        "too_long:id",
        "invalid_utf8",
    ):
        assert manifest["quarantined"].get(reason, 0) >= 1, reason
    assert manifest["quarantined_total"] == len(quarantined)


def test_quarantine_gate_failure_is_final_at_once(clean_platform, airflow_db, monkeypatch):
    client = s3_client(clean_platform)
    bad_hour(client, clean_platform.landing_bucket)
    monkeypatch.setenv("DATALAKE_QUARANTINE_THRESHOLD", "0.01")
    dagrun = run_hourly("entity_operations_hourly", HOUR)
    assert dagrun.state == "failed"
    ti = dagrun.get_task_instance("assess_hour")
    assert (ti.state, ti.try_number) == ("failed", 1)  # no up_for_retry: a retry cannot help
    assert rows(clean_platform) == []  # nothing loaded
    with connect(clean_platform) as conn:
        assert conn.execute("SELECT count(*) FROM datalake_ops.run_manifest").fetchone()[0] == 0


class _SlowDown(http.server.BaseHTTPRequestHandler):
    requests = 0

    def do_GET(self):  # noqa: N802
        type(self).requests += 1
        body = (
            b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
            b"<Message>Please reduce your request rate.</Message></Error>"
        )
        self.send_response(503)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_throttled_get_is_retried_by_boto3_then_fails_naming_the_key(platform, monkeypatch):
    from dataclasses import replace

    from datalake.hourly.extract import LandingReadError, read_landing_object

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowDown)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        # Shorten boto3's backoff delays (up to 1+2+4+8 s, jittered) so the test takes ~1 s;
        # the retry decisions are botocore's own.
        monkeypatch.setattr(
            "botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0.01
        )
        client = s3_client(
            replace(platform, s3_endpoint_url=f"http://127.0.0.1:{server.server_port}")
        )
        with pytest.raises(LandingReadError) as caught:
            read_landing_object(client, "landing", "entity_operations/2026/11/03/07/slow.gz")
    finally:
        server.shutdown()
    message = str(caught.value)
    assert (
        "s3://landing/entity_operations/2026/11/03/07/slow.gz" in message and "SlowDown" in message
    )
    # s3_client: retries={"mode": "standard", "max_attempts": 5}, which botocore counts as retries
    assert _SlowDown.requests == 6 and "after 6 attempt(s)" in message
