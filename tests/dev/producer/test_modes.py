"""Unit tests of the producer's two modes (`datalake produce --hours` and follow), with a fake
S3 client: what is uploaded, for which hours, and what is rejected."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from datalake_dev import producer
from datalake_dev.producer import ENTITY_STREAM, WORKFLOW_STREAM, DefectRates, ProducerConfig

TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")


def parse_time(value) -> datetime:
    if not isinstance(value, str) or not TIME_RE.match(value):
        raise ValueError(f"bad time {value!r}")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:  # noqa: N803 (boto3 names)
        self.objects[f"{Bucket}/{Key}"] = Body


def test_produce_past_hours_uploads_the_previous_full_hours():
    client, now = FakeS3(), datetime(2026, 11, 28, 10, 42, tzinfo=UTC)
    objects = producer.produce_past_hours(client, "landing", hours=3, now=now)
    assert len(client.objects) == len(objects) > 0
    hours = {o.arrival_hour for o in objects}
    assert hours == {datetime(2026, 11, 28, h, tzinfo=UTC) for h in (7, 8, 9)}
    latest = max(parse_time(e["time"]) for o in objects for e in o.events)
    assert latest < datetime(2026, 11, 28, 10, tzinfo=UTC)


def decode_clean(body: bytes) -> list[dict]:
    """All JSON objects of a defect-free body, NDJSON or concatenated."""
    text, decoder, out, pos = body.decode("utf-8"), json.JSONDecoder(), [], 0
    while pos < len(text.rstrip()):
        value, pos = decoder.raw_decode(text, pos)
        out.append(value)
        while pos < len(text) and text[pos] == "\n":
            pos += 1
    return out


def test_follow_writes_the_current_hour_and_keeps_state():
    client, logs = FakeS3(), []
    ticks = iter(
        datetime(2026, 11, 28, 10, 58, tzinfo=UTC) + timedelta(minutes=i) for i in range(10)
    )
    config = ProducerConfig(
        entities_per_hour=600, workflow_updates_per_hour=300, defects=DefectRates.none()
    )
    producer.follow(
        client,
        "landing",
        interval_seconds=0,
        config=config,
        log=logs.append,
        clock=lambda: next(ticks),
        max_ticks=4,
    )
    assert client.objects and len(logs) == len(client.objects)
    keys = list(client.objects)
    assert any("/2026/11/28/10/" in k for k in keys) and any("/2026/11/28/11/" in k for k in keys)
    assert {k.split("/")[1] for k in keys} == {ENTITY_STREAM, WORKFLOW_STREAM}
    for key, body in client.objects.items():
        arrival_end = datetime.strptime(key.split("/", 2)[2][:13], "%Y/%m/%d/%H").replace(
            tzinfo=UTC
        ) + timedelta(hours=1)
        events = decode_clean(gzip.decompress(body) if key.endswith(".gz") else body)
        assert events
        for event in events:
            assert parse_time(event["time"]) <= min(
                arrival_end, datetime(2026, 11, 28, 11, 2, tzinfo=UTC)
            )


def test_produce_hours_out_of_range_are_rejected_before_anything_is_simulated():
    import subprocess
    import sys
    from pathlib import Path

    for bad in (0, -1, 100000, producer.MAX_PAST_HOURS + 1, True, 1.5):
        with pytest.raises(ValueError, match="1 to 720"):
            producer.produce_past_hours(None, "landing", bad)  # no client needed: it fails first
    datalake = str(Path(sys.executable).parent / "datalake")
    for bad in ("-1", "100000", "0", "x"):
        out = subprocess.run(
            [datalake, "produce", "--hours", bad], capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 2, out
        assert "--hours" in out.stderr and (
            "1 to 720" in out.stderr or "whole number" in out.stderr
        )
