"""Delivery cases of the hourly entity pipeline, on real S3 and PostgreSQL, against an
independent computation over the raw events (entity_truth.py)."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from entity_truth import example_1, example_2, expected_rows
from query_cli import query_file

from datalake.errors import ConfigurationError
from datalake.s3 import iter_keys, s3_client
from datalake.warehouse import connect
from datalake_dev.producer import ProducerConfig, simulate, ulid, upload

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ORG = "739224"


def run(settings, hour):
    from datalake.entity.stream import ENTITY_STREAM

    return ENTITY_STREAM.run_hour(s3_client(settings), settings, hour)


def put(settings, hour: datetime, name: str, records: list[bytes], gz=False):
    body = b"\n".join(records) + b"\n"
    key = f"entity_operations/{hour:%Y/%m/%d/%H}/{name}" + (".gz" if gz else "")
    s3_client(settings).put_object(
        Bucket=settings.landing_bucket, Key=key, Body=gzip.compress(body) if gz else body
    )
    return key


def event(
    entity: str,
    op: str,
    when: datetime,
    title="Wallbox Journey",
    event_id=None,
    schema="opportunity",
    **extra,
):
    import random
    import uuid

    rng = random.Random(f"{entity}{op}{when}")
    detail = {
        "entity": entity,
        "org": ORG,
        "activity_id": ulid(when, rng),
        "operation": op,
        "params": {"id": entity, "slug": schema},
        "payload": {
            "_id": entity,
            "_schema": schema,
            "_org": ORG,
            "_title": "t",
            "_created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "source": {"type": "link", "title": title},
        },
        "diff": {"added": {}, "updated": {}, "deleted": {}},
    }
    body = {
        "version": "0",
        "id": event_id or str(uuid.UUID(int=rng.getrandbits(128))),
        "detail-type": "EntityOperation",
        "source": "entity-api",
        "account": "123456789012",
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "eu-central-1",
        "resources": [],
        "detail": detail,
    }
    body.update(extra)
    return body


def enc(e) -> bytes:
    return json.dumps(e).encode()


def rows(settings, table="entity_operations", where="TRUE"):
    with connect(settings) as conn:
        cur = conn.execute(f"SELECT * FROM epilot_datalake.{table} WHERE {where} ORDER BY id")
        cols = [d.name for d in cur.description]
        return [dict(zip(cols, r, strict=False)) for r in cur.fetchall()]


def test_docs_examples_verbatim_match_an_independent_computation(clean_platform, monkeypatch):
    # The producer's defect share of an hour varies with the hours simulated (they follow the
    # clock): this test is about the queries, not the quarantine gate.
    monkeypatch.setenv("DATALAKE_QUARANTINE_THRESHOLD", "1")
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    start = max(now - timedelta(hours=5), now.replace(day=1, hour=0))
    hours = int((now - start) / timedelta(hours=1))
    if hours < 2:
        pytest.skip("too close to a month start for a same-month window")
    objects = simulate(start, hours, ProducerConfig(seed=3, entities_per_hour=60))
    upload(objects, s3_client(clean_platform), clean_platform.landing_bucket)
    for i in range(hours):
        run(clean_platform, start + timedelta(hours=i))
    truth = expected_rows(objects)
    examples = ROOT / "include/sql/examples"

    got1 = {
        (r["journey title"], int(r["year_"]), int(r["month_"])): r["count"]
        for r in query_file(examples / "docs_example_1.sql")
    }
    assert got1 == example_1(truth) and got1
    got2 = query_file(examples / "docs_example_2.sql")
    expected2 = example_2(truth, now.year, now.month)
    assert {r["entity_id"] for r in got2} == expected2 and expected2
    assert len(got2) == len(expected2), "an active entity listed twice"


def test_same_event_in_two_hours_is_loaded_once_and_counted_as_duplicate(clean_platform):
    h1 = datetime(2026, 11, 3, 8, tzinfo=timezone.utc)
    e = event("0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e0001", "createEntity", h1 + timedelta(minutes=5))
    put(clean_platform, h1, "a", [enc(e), enc(e)])  # twice in one object
    put(clean_platform, h1, "b", [enc(e)], gz=True)  # again in another object
    put(clean_platform, h1 + timedelta(hours=1), "c", [enc(e)])  # and in the next hour
    m1, m2 = run(clean_platform, h1), run(clean_platform, h1 + timedelta(hours=1))
    assert [r["id"] for r in rows(clean_platform)] == [e["id"]]
    assert (m1["loaded"], m1["duplicates"]) == (1, 2)
    # The copy in object a is a batch's own duplicate; the one in b is too when a and b share
    # a batch, and the run's otherwise (the hour is cut into at least two batches).
    assert (
        m1["duplicates_in_batch"] >= 1 and m1["duplicates_in_batch"] + m1["duplicates_in_run"] == 2
    )
    assert (m2["loaded"], m2["duplicates_already_loaded"]) == (0, 1)
    # Rerunning the first hour keeps the row; rerunning the second still drops its copy.
    assert (
        run(clean_platform, h1)["loaded"] == 1
        and run(clean_platform, h1 + timedelta(hours=1))["loaded"] == 0
    )
    assert len(rows(clean_platform)) == 1


def test_copies_in_different_chunks_are_dropped_by_the_load_and_the_first_copy_wins(
    clean_platform, monkeypatch
):
    # The ids seen are kept per chunk (memory follows the chunk): with one row per chunk every
    # copy reaches the stage, and the load's dedupe keeps the first delivered one; the copy
    # with other content is quarantined as a conflicting duplicate, the identical one dropped.
    monkeypatch.setenv("DATALAKE_CHUNK_ROWS", "1")
    h = datetime(2026, 11, 3, 8, tzinfo=timezone.utc)
    first = event(
        "0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e0011",
        "createEntity",
        h + timedelta(minutes=5),
        title="first",
    )
    other = event("0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e0012", "createEntity", h + timedelta(minutes=6))
    later_copy = json.loads(json.dumps(first))
    later_copy["detail"]["payload"]["source"]["title"] = "second"  # same id, told apart by content
    put(clean_platform, h, "a", [enc(first), enc(other), enc(later_copy), enc(first)])
    m = run(clean_platform, h)
    assert (m["loaded"], m["duplicates"], m["duplicates_in_batch"], m["duplicates_in_run"]) == (
        2,
        1,
        0,
        1,
    )
    assert m["quarantined"] == {"conflicting_duplicate": 1}
    loaded = rows(clean_platform)
    assert [r["id"] for r in loaded] == sorted([first["id"], other["id"]])
    assert '"title":"first"' in next(r["detail"] for r in loaded if r["id"] == first["id"])
    current = rows(clean_platform, "current_entities")
    assert sorted(r["entity_id"] for r in current) == sorted(
        [first["detail"]["entity"], other["detail"]["entity"]]
    )


def test_late_event_from_last_month_lands_in_its_partition_and_never_regresses_current(
    clean_platform,
):
    entity = "0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e0002"
    h = datetime(2026, 11, 1, 2, tzinfo=timezone.utc)
    newer = event(entity, "updateEntity", h + timedelta(minutes=1), title="Energieausweis Journey")
    put(clean_platform, h, "new", [enc(newer)])
    run(clean_platform, h)
    late = event(entity, "createEntity", datetime(2026, 10, 31, 23, 50, tzinfo=timezone.utc))
    put(clean_platform, h + timedelta(hours=1), "late", [enc(late)])
    manifest = run(clean_platform, h + timedelta(hours=1))
    assert manifest["loaded"] == 1
    assert "entity_operations/year=2026/month=10/part-2026110103.parquet" in manifest["lake_files"]
    (row,) = rows(clean_platform, where=f"id = '{late['id']}'")
    assert (row["year"], row["month"]) == ("2026", "10")
    (current,) = rows(clean_platform, "current_entities")
    assert current["id"] == newer["id"]
    # A later delete removes it; an even later-arriving older update does not bring it back.
    delete = event(entity, "deleteEntity", h + timedelta(hours=2, minutes=3))
    put(clean_platform, h + timedelta(hours=2), "del", [enc(delete)])
    run(clean_platform, h + timedelta(hours=2))
    stale = event(entity, "updateEntity", h + timedelta(minutes=30))
    put(clean_platform, h + timedelta(hours=3), "stale", [enc(stale)])
    run(clean_platform, h + timedelta(hours=3))
    assert rows(clean_platform, "current_entities") == []


@pytest.mark.parametrize("chunk_rows", [None, "4"], ids=["one-chunk", "chunks-of-4-rows"])
def test_every_kind_of_broken_record_is_quarantined_whole_and_counted(
    clean_platform, monkeypatch, chunk_rows
):
    if chunk_rows:  # a batch validated and staged 4 rows at a time gives the same result
        monkeypatch.setenv("DATALAKE_CHUNK_ROWS", chunk_rows)
    h = datetime(2026, 11, 4, 9, tzinfo=timezone.utc)
    ok = [
        event(f"0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e{i:04d}", "createEntity", h + timedelta(minutes=i))
        for i in range(1, 41)
    ]
    good = b"".join(enc(e) for e in ok[:20])  # concatenated JSON, no separator
    no_id = event("0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e0100", "createEntity", h)
    no_id.pop("id")
    bad_entity = event("not-a-uuid", "createEntity", h)
    broken = {
        "invalid_json": enc(ok[20])[:-15],
        "invalid_utf8": enc(
            event("0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e0101", "createEntity", h)
        ).replace(b't"', b't\xff"', 1),
        "not_an_object": b"[1, 2, 3]",
        "wrong_type:detail.org": enc(
            event("0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e0102", "createEntity", h)
            | {"detail": {"org": ["x"]}}
        ),
        "unknown_operation": enc(event("0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e0103", "renameEntity", h)),
        "bad_time": enc(
            event("0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e0104", "createEntity", h)
            | {"time": "yesterday-ish"}
        ),
        "future_time": enc(
            event("0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e0105", "createEntity", h + timedelta(days=2))
        ),
        "missing_id": enc(no_id),
        "bad_entity": enc(bad_entity),
    }
    body = good + b"".join(broken.values()) + b"\n".join(enc(e) for e in ok[21:])
    client = s3_client(clean_platform)
    client.put_object(
        Bucket=clean_platform.landing_bucket,
        Key=f"entity_operations/{h:%Y/%m/%d/%H}/mixed.gz",
        Body=gzip.compress(body),
    )
    from datalake.entity.stream import ENTITY_STREAM
    from datalake.hourly.stream import Hour

    hour = Hour.of(h)
    counts = [
        ENTITY_STREAM.process(client, clean_platform, hour, b)
        for b in ENTITY_STREAM.plan(client, clean_platform, hour)
    ]
    with pytest.raises(ValueError, match="above the threshold"):
        ENTITY_STREAM.gate(counts)  # 9 of 48 broken: the hour looks wrong
    manifest = ENTITY_STREAM.load(client, clean_platform, hour, counts)
    assert manifest["loaded"] == 39 and manifest["records_read"] == 48
    assert manifest["quarantined"] == {
        "failed_expectations": 5,
        "invalid_json": 1,
        "invalid_utf8": 1,
        "not_an_object": 1,
        "wrong_type:detail.org": 1,
    }
    quarantined = []
    for key, _ in iter_keys(
        client, clean_platform.lake_bucket, "quarantine/entity_operations/2026110409/"
    ):
        raw = gzip.decompress(
            client.get_object(Bucket=clean_platform.lake_bucket, Key=key)["Body"].read()
        )
        quarantined += [json.loads(line) for line in raw.splitlines()]
    assert len(quarantined) == 9
    import base64

    raws = {base64.b64decode(q["raw_base64"]) for q in quarantined}
    for name, raw in broken.items():
        if name != "invalid_json":
            assert raw in raws, name
    failed = {
        tuple(q["failed_expectations"]) for q in quarantined if q["reason"] == "failed_expectations"
    }
    assert ("expect_column_values_to_be_in_set(operation)",) in failed
    assert ("expect_column_values_to_match_regex(entity_id)",) in failed
    assert all(q["source_key"].endswith("mixed.gz") for q in quarantined)
    # 20 good records, then the 9 broken ones, then the rest
    assert sorted(q["position"] for q in quarantined) == list(range(20, 29))
    with connect(clean_platform) as conn:
        loaded = {r[0] for r in conn.execute("SELECT id FROM epilot_datalake.entity_operations")}
    assert loaded == {e["id"] for e in ok if e is not ok[20]}


def test_failure_between_staging_and_commit_leaves_the_warehouse_unchanged(
    clean_platform, monkeypatch
):
    h = datetime(2026, 11, 5, 9, tzinfo=timezone.utc)
    upload(
        simulate(h - timedelta(hours=1), 2, ProducerConfig(seed=5)),
        s3_client(clean_platform),
        clean_platform.landing_bucket,
    )
    run(clean_platform, h - timedelta(hours=1))
    before = {t: rows(clean_platform, t) for t in ("entity_operations", "current_entities")}
    from datalake.entity import load as entity_load

    class Crash(RuntimeError):
        pass

    def crash(*args, **kwargs):  # called inside the load's transaction, after every write
        raise Crash("the worker died before COMMIT")

    monkeypatch.setattr(entity_load, "load_previous_manifest", crash)
    with pytest.raises(Crash):
        run(clean_platform, h)
    assert {t: rows(clean_platform, t) for t in before} == before
    monkeypatch.undo()
    assert run(clean_platform, h)["loaded"] > 0
    assert len(rows(clean_platform)) > len(before["entity_operations"])


def test_missing_bucket_and_unreachable_warehouse_fail_with_their_names(
    clean_platform, monkeypatch
):
    from dataclasses import replace

    h = datetime(2026, 11, 6, 9, tzinfo=timezone.utc)
    with pytest.raises(ConfigurationError, match="no-such-landing"):
        run(replace(clean_platform, landing_bucket="no-such-landing"), h)
    bad = replace(clean_platform, warehouse_uri="postgresql://x:y@127.0.0.1:1/epilot_datalake")
    with pytest.raises(
        ConfigurationError, match="WAREHOUSE_URI or the redshift_default connection"
    ):
        run(bad, h)


def test_missing_airflow_connection_is_named(monkeypatch):
    from datalake.config import load_settings

    monkeypatch.delenv("WAREHOUSE_URI", raising=False)
    with pytest.raises(ConfigurationError, match="redshift_default"):
        load_settings(use_airflow=True)
