"""Unit tests of the sample event producer's simulation: the world's events as the Firehose writer
delivers them (pure functions, no S3, no network)."""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from datalake_dev import producer
from datalake_dev.producer import (
    BROKEN_KINDS,
    ENTITY_STREAM,
    STEP_STATUSES,
    WORKFLOW_STREAM,
    DefectRates,
    ProducerConfig,
    event_detail,
    simulate,
)

START = datetime(2026, 11, 28, 6, tzinfo=UTC)
# Crosses into December so that some late events belong to the previous month.
MONTH_END_START = datetime(2026, 11, 30, 16, tzinfo=UTC)

KEY_RE = re.compile(
    r"^(entity_operations|workflow_executions)/(\d{4})/(\d{2})/(\d{2})/(\d{2})/"
    r"datalake-landing-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}(\.gz)?$"
)
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")
ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


# --------------------------------------------------------------------------- helpers


def parse_time(value) -> datetime:
    if not isinstance(value, str) or not TIME_RE.match(value):
        raise ValueError(f"bad time {value!r}")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_event(raw: bytes, stream: str) -> dict:
    """Parse one record the way a strict consumer would; raises on anything malformed."""
    event = json.loads(raw.decode("utf-8"))
    if not isinstance(event, dict):
        raise ValueError("not an object")
    assert isinstance(event["id"], str) and event["id"]
    assert (
        event["version"] == "0" and event["region"] == "eu-central-1" and event["resources"] == []
    )
    assert isinstance(event["source"], str) and event["account"] == producer.AWS_ACCOUNT
    parse_time(event["time"])
    detail = event_detail(event)
    assert isinstance(detail, dict)
    if stream == ENTITY_STREAM:
        assert event["detail-type"] == "EntityOperation"
        assert detail["operation"] in producer.ENTITY_OPERATIONS
        for name in ("entity", "org", "activity_id"):
            assert isinstance(detail[name], str), name
        assert detail["params"] == {"id": detail["entity"], "slug": detail["payload"]["_schema"]}
        assert isinstance(detail["payload"], dict)
        assert set(detail["diff"]) == {"added", "updated", "deleted"}
    else:
        assert event["detail-type"] in producer.WORKFLOW_DETAIL_TYPES
        assert isinstance(detail["id"], str) and isinstance(detail["orgId"], str)
        parse_time(detail["lastUpdateTime"])
        assert isinstance(detail["flow"], list)
    return event


def records(obj: producer.LandingObject) -> list[bytes]:
    """Split an object back into its records (concatenated objects: by the known record lengths)."""
    body = gzip.decompress(obj.body) if obj.gzipped else obj.body
    if body.endswith(b"\n"):
        return body.split(b"\n")[:-1]
    return [body]  # concatenated: compared as a whole below


def all_events(objects, stream: str) -> list[dict]:
    """Every distinct good event of a stream (duplicates removed by id)."""
    seen: dict[str, dict] = {}
    for obj in objects:
        if obj.stream == stream:
            for event in obj.events:
                seen.setdefault(event["id"], event)
    return list(seen.values())


@pytest.fixture(scope="module")
def day() -> list[producer.LandingObject]:
    return simulate(START, 24)


@pytest.fixture(scope="module")
def defective() -> list[producer.LandingObject]:
    config = ProducerConfig(seed=7, defects=DefectRates.uniform(0.04))
    return simulate(MONTH_END_START, 16, config)


# --------------------------------------------------------------------------- layout


def test_deterministic_for_a_seed():
    first, second = simulate(START, 3), simulate(START, 3)
    assert [(o.key, o.body) for o in first] == [(o.key, o.body) for o in second]
    other = simulate(START, 3, ProducerConfig(seed=43))
    assert {o.key for o in other}.isdisjoint(o.key for o in first)


def test_defect_rates_do_not_change_the_good_events():
    clean = simulate(START, 4, ProducerConfig(defects=DefectRates.none()))
    noisy = simulate(START, 4, ProducerConfig(defects=DefectRates.uniform(0.05)))
    for stream in (ENTITY_STREAM, WORKFLOW_STREAM):
        assert {e["id"] for e in all_events(clean, stream)} == {
            e["id"] for e in all_events(noisy, stream)
        }


def test_keys_follow_the_arrival_hour(day):
    for obj in day:
        match = KEY_RE.match(obj.key)
        assert match, obj.key
        assert match.group(1) == obj.stream
        assert obj.key.split("/")[1:5] == obj.arrival_hour.strftime("%Y/%m/%d/%H").split("/")
        assert obj.arrival_hour.tzinfo is not None and obj.arrival_hour.minute == 0
        assert START <= obj.arrival_hour < START + timedelta(hours=24)
        assert obj.body.startswith(b"\x1f\x8b") == obj.gzipped
    assert len({o.key for o in day}) == len(day)


def test_formats_are_mixed_over_six_hours():
    objects = simulate(START, 6)
    bodies = [gzip.decompress(o.body) if o.gzipped else o.body for o in objects]
    assert {o.gzipped for o in objects} == {True, False}
    assert {b.endswith(b"\n") for b in bodies} == {True, False}  # NDJSON and concatenated
    per_hour = Counter((o.arrival_hour, o.stream) for o in objects)
    assert max(per_hour.values()) > 1  # several objects per hour


def test_body_holds_exactly_the_records(defective):
    for obj in defective:
        body = gzip.decompress(obj.body) if obj.gzipped else obj.body
        parts = records(obj)
        if body.endswith(b"\n"):
            assert len(parts) == obj.record_count
            good = [json.loads(p) for p in parts if all(p != raw for _, raw in obj.broken)]
            assert good == obj.events
        else:
            assert b"\n" not in body
            raws = [producer.dumps(e).encode() for e in obj.events] + [raw for _, raw in obj.broken]
            assert len(body) == sum(map(len, raws))
            assert all(raw in body for raw in raws)


# --------------------------------------------------------------------------- events


def test_events_have_the_spec_fields(day):
    as_string = 0
    for obj in day:
        for event in obj.events:
            check_event(producer.dumps(event).encode(), obj.stream)
            as_string += isinstance(event["detail"], str)
            detail = event_detail(event)
            if obj.stream == ENTITY_STREAM:
                assert ULID_RE.match(detail["activity_id"])
                assert detail["org"] in ("739224", "728134")
    total = sum(len(o.events) for o in day)
    assert 0.03 < as_string / total < 0.2


def test_opportunity_payload(day):
    opportunities = [
        event_detail(e)["payload"]
        for e in all_events(day, ENTITY_STREAM)
        if event_detail(e)["params"]["slug"] == "opportunity"
    ]
    assert opportunities
    for payload in opportunities:
        for name in ("_id", "_schema", "_org", "_title", "_created_at", "_updated_at"):
            assert name in payload
        parse_time(payload["_created_at"])
        assert payload["source"]["type"] == "link"
        assert payload["source"]["title"] in ("Wallbox Journey", "Energieausweis Journey")
        assert 500 <= len(json.dumps(payload, ensure_ascii=False).encode()) <= 2048
    schemas = {event_detail(e)["params"]["slug"] for e in all_events(day, ENTITY_STREAM)}
    assert schemas == {"opportunity", "order", "contact", "account", "product"}


def test_event_times_are_spread_and_never_after_the_arrival_hour(day):
    minutes = defaultdict(set)
    for obj in day:
        for event in obj.events:
            t = parse_time(event["time"])
            assert t < obj.arrival_hour + timedelta(hours=1)
            minutes[obj.arrival_hour].add(t.minute)
    assert all(len(m) > 10 for hour, m in minutes.items() if hour > START)


def test_clean_run_has_no_defects():
    objects = simulate(START, 6, ProducerConfig(defects=DefectRates.none()))
    assert not any(o.broken for o in objects)
    ids = [e["id"] for o in objects for e in o.events]
    assert len(ids) == len(set(ids))
    for obj in objects:
        assert all(
            producer.floor_hour(parse_time(e["time"])) == obj.arrival_hour for e in obj.events
        )


def test_default_rates_are_low():
    rates = DefectRates()
    assert all(0.004 <= getattr(rates, name) <= 0.02 for name in ("duplicate", "late"))
    assert all(0.001 <= getattr(rates, name) <= 0.005 for name in BROKEN_KINDS)
    # Together the broken kinds stay well under the hourly pipeline's 5% quarantine threshold.
    assert sum(getattr(rates, name) for name in BROKEN_KINDS) < 0.025
    assert all(v == 0 for v in vars(DefectRates.none()).values())


# --------------------------------------------------------------------------- defects


def test_duplicates_are_identical_and_spread(defective):
    where = defaultdict(list)
    for obj in defective:
        for event in obj.events:
            where[event["id"]].append((obj.key, obj.arrival_hour, producer.dumps(event)))
    duplicates = {i: places for i, places in where.items() if len(places) > 1}
    assert duplicates
    kinds = set()
    for places in duplicates.values():
        assert len({raw for _, _, raw in places}) == 1  # identical bytes
        (k1, h1, _), (k2, h2, _) = places[:2]
        kinds.add("same_object" if k1 == k2 else "same_hour" if h1 == h2 else "later_hour")
    assert kinds == {"same_object", "same_hour", "later_hour"}


def test_late_events_including_previous_month(defective):
    late = [
        (obj.arrival_hour, parse_time(e["time"]))
        for obj in defective
        for e in obj.events
        if parse_time(e["time"]) < obj.arrival_hour
    ]
    assert late
    assert any(arrival - t > timedelta(hours=1) for arrival, t in late)
    assert any(t.month != arrival.month for arrival, t in late)


def test_broken_records_are_labelled_and_really_broken(defective):
    kinds = Counter()
    for obj in defective:
        for kind, raw in obj.broken:
            kinds[kind] += 1
            with pytest.raises((ValueError, KeyError, AssertionError, TypeError)):
                check_event(raw, obj.stream)
            if kind == "non_utf8":
                with pytest.raises(UnicodeDecodeError):
                    raw.decode("utf-8")
            if obj.body and not obj.gzipped and obj.body.endswith(b"\n"):
                assert b"\n" not in raw
    assert set(kinds) == set(BROKEN_KINDS)
    assert {o.stream for o in defective if o.broken} == {ENTITY_STREAM, WORKFLOW_STREAM}


# --------------------------------------------------------------------------- lifecycles


def test_entity_lifecycle(day):
    history = defaultdict(list)
    for event in sorted(all_events(day, ENTITY_STREAM), key=lambda e: parse_time(e["time"])):
        history[event_detail(event)["entity"]].append(event)
    operations = Counter()
    for entity, events in history.items():
        ops = [event_detail(e)["operation"] for e in events]
        operations.update(ops)
        assert ops[0] == "createEntity", entity
        assert "createEntity" not in ops[1:]
        assert "deleteEntity" not in ops[:-1]  # nothing after a delete
        times = [parse_time(e["time"]) for e in events]
        assert times == sorted(times) and len(set(times)) == len(times)
        payloads = [event_detail(e)["payload"] for e in events]
        assert len({p["_created_at"] for p in payloads}) == 1
    assert operations["updateEntity"] > operations["createEntity"] > operations["deleteEntity"] > 0
    assert (
        max(Counter(event_detail(e)["entity"] for e in all_events(day, ENTITY_STREAM)).values())
        >= 4
    )


def test_workflow_executions_progress(day):
    history = defaultdict(list)
    for event in sorted(all_events(day, WORKFLOW_STREAM), key=lambda e: parse_time(e["time"])):
        history[event_detail(event)["id"]].append(event)
    statuses, reasons, removed = Counter(), Counter(), 0
    for execution_id, events in history.items():
        details = [event_detail(e) for e in events]
        updates = [parse_time(d["lastUpdateTime"]) for d in details]
        assert all(a < b for a, b in zip(updates, updates[1:], strict=False)), execution_id
        types = [e["detail-type"] for e in events]
        assert types[0] == "WorkflowExecutionCreated"
        assert "WorkflowExecutionDeleted" not in types[:-1]
        for d in details:
            assert d["status"] in producer.WORKFLOW_STATUSES
            for item in d["flow"]:
                steps = item["steps"] if item["type"] == "SECTION" else [item]
                if item["type"] == "SECTION":
                    assert item["status"] in producer.SECTION_STATUSES
                assert all(s["status"] in STEP_STATUSES for s in steps)
            for context in d["contexts"]:
                assert set(context) == {"id", "title", "schema"}
        last = details[-1]
        statuses[last["status"]] += 1
        if last["status"] == "CLOSED":
            reasons[len(last["selectedClosingReasons"])] += 1
        step_ids = [
            {
                s["id"]
                for item in d["flow"]
                for s in (item["steps"] if item["type"] == "SECTION" else [item])
            }
            for d in details
        ]
        removed += any(a - b for a, b in zip(step_ids, step_ids[1:], strict=False))
    assert statuses["STARTED"] and statuses["CLOSED"] and statuses["DONE"]
    assert reasons[1] and reasons[2]
    assert removed
    assert Counter(e["detail-type"] for e in all_events(day, WORKFLOW_STREAM))[
        "WorkflowExecutionDeleted"
    ]


def test_workflow_contexts_point_at_produced_entities(day):
    entity_ids = {event_detail(e)["entity"] for e in all_events(day, ENTITY_STREAM)}
    contexts = [c for e in all_events(day, WORKFLOW_STREAM) for c in event_detail(e)["contexts"]]
    assert contexts and all(c["id"] in entity_ids for c in contexts)
    assert {c["schema"] for c in contexts} == {"opportunity", "contact"}


def test_ulid():
    t = datetime(2026, 11, 28, 10, 15, 3, 123000, tzinfo=UTC)
    value = producer.ulid(t, random.Random(1))
    assert ULID_RE.match(value)
    decoded = 0
    for char in value:
        decoded = decoded * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(char)
    assert decoded >> 80 == int(t.timestamp() * 1000)
