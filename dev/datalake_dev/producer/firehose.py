"""The Firehose writer: the world's events delivered like Kinesis Data Firehose would.

Grouped by UTC arrival hour into a few objects per hour, gzip or plain, NDJSON or concatenated
JSON, with rare delivery defects (duplicates, late arrivals, broken records) whose ground
truth is kept on each `LandingObject`.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from datalake_dev.producer.broken_records import BROKEN_KINDS, break_record
from datalake_dev.producer.config import ProducerConfig
from datalake_dev.producer.events import Produced, dumps, floor_hour, new_uuid

FIREHOSE_NAME = "datalake-landing"


@dataclass
class LandingObject:
    key: str  # full S3 key incl. stream prefix
    body: bytes  # exactly what is uploaded
    arrival_hour: datetime  # tz-aware UTC, minute=0
    stream: str  # "entity_operations" | "workflow_executions"
    events: list[
        dict
    ]  # well-formed events as delivered (detail may be a JSON string), duplicates included
    broken: list[tuple[str, bytes]]  # (kind, raw record bytes) per broken record

    @property
    def gzipped(self) -> bool:
        return self.key.endswith(".gz")

    @property
    def record_count(self) -> int:
        return len(self.events) + len(self.broken)


@dataclass
class Delivery:
    stream: str
    arrival: datetime
    chunk: int  # which object of the arrival hour
    position: float  # order inside the object
    raw: bytes
    event: dict | None  # None for a broken record
    kind: str | None = None


def as_delivered(event: dict, rng: random.Random, string_share: float) -> tuple[dict, bytes]:
    """The event as delivered: detail sometimes as a JSON string; serialized once so duplicates
    are identical."""
    if rng.random() < string_share:
        event = event | {"detail": dumps(event["detail"])}
    return event, dumps(event).encode("utf-8")


def late_arrival(hour: datetime, last_hour: datetime, rng: random.Random) -> datetime:
    """An arrival hour after `hour` (hours or days later), within the simulated range."""
    remaining = int((last_hour - hour).total_seconds() // 3600)
    if remaining <= 0:
        return hour
    next_month = (hour.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0)
    if next_month <= last_hour and rng.random() < 0.5:  # late across a month boundary
        room = int((last_hour - next_month).total_seconds() // 3600)
        return next_month + timedelta(hours=rng.randint(0, min(6, room)))
    delay = rng.randint(1, 6) if rng.random() < 0.7 else rng.randint(24, 72)
    return hour + timedelta(hours=min(delay, remaining))


def deliver(
    produced: Iterable[Produced],
    last_hour: datetime,
    chunks: int,
    config: ProducerConfig,
    wire_rng: random.Random,
    rng: random.Random,
) -> list[Delivery]:
    rates = config.defects
    out: list[Delivery] = []
    for item in produced:
        wire, raw = as_delivered(item.event, wire_rng, config.detail_as_string_share)
        hour = floor_hour(item.time)
        position = (item.time - hour).total_seconds()
        delivery = Delivery(item.stream, hour, int(position * chunks / 3600), position, raw, wire)
        if rng.random() < rates.late:
            arrival = late_arrival(hour, last_hour, rng)
            if arrival > hour:
                delivery.arrival, delivery.chunk, delivery.position = (
                    arrival,
                    rng.randrange(chunks),
                    rng.uniform(0, 3600),
                )
        out.append(delivery)
        if rng.random() < rates.duplicate:
            out.append(redeliver(delivery, last_hour, chunks, rng))
        for kind in BROKEN_KINDS:
            if rng.random() < getattr(rates, kind):
                raw_broken = break_record(kind, item.stream, item.event, rng)
                out.append(
                    Delivery(
                        item.stream,
                        delivery.arrival,
                        rng.randrange(chunks),
                        rng.uniform(0, 3600),
                        raw_broken,
                        None,
                        kind,
                    )
                )
    return out


def redeliver(original: Delivery, last_hour: datetime, chunks: int, rng: random.Random) -> Delivery:
    """Same bytes again: in the same object, another object of the hour, or a later hour."""
    copy_ = Delivery(
        original.stream,
        original.arrival,
        original.chunk,
        original.position + rng.uniform(0.001, 60),
        original.raw,
        original.event,
    )
    mode = rng.choice(("same_object", "other_object", "later_hour"))
    remaining = int((last_hour - original.arrival).total_seconds() // 3600)
    if mode == "later_hour" and remaining > 0:
        copy_.arrival = original.arrival + timedelta(hours=rng.randint(1, min(remaining, 48)))
        copy_.chunk, copy_.position = rng.randrange(chunks), rng.uniform(0, 3600)
    elif mode != "same_object" and chunks > 1:
        copy_.chunk = rng.choice([c for c in range(chunks) if c != original.chunk])
    return copy_


def object_key(
    stream: str, arrival: datetime, chunk: int, chunks: int, gzipped: bool, rng: random.Random
) -> str:
    slice_seconds = 3600 // chunks
    written = arrival + timedelta(
        seconds=min(3599, (chunk + 1) * slice_seconds - 1 - rng.randrange(5))
    )
    name = f"{FIREHOSE_NAME}-1-{written:%Y-%m-%d-%H-%M-%S}-{new_uuid(rng)}"
    return f"{stream}/{arrival:%Y/%m/%d/%H}/{name}{'.gz' if gzipped else ''}"


def assemble_objects(
    deliveries: list[Delivery], chunks: int, rng: random.Random
) -> list[LandingObject]:
    groups: dict[tuple[datetime, str, int], list[Delivery]] = {}
    for d in deliveries:
        groups.setdefault((d.arrival, d.stream, d.chunk), []).append(d)
    objects = []
    for (arrival, stream, chunk), group in sorted(groups.items()):
        group.sort(key=lambda d: d.position)
        gzipped, ndjson = rng.random() < 0.5, rng.random() < 0.5
        body = b"".join(d.raw + b"\n" for d in group) if ndjson else b"".join(d.raw for d in group)
        if gzipped:
            body = gzip.compress(body, mtime=0)  # mtime=0 keeps the bytes deterministic
        objects.append(
            LandingObject(
                key=object_key(stream, arrival, chunk, chunks, gzipped, rng),
                body=body,
                arrival_hour=arrival,
                stream=stream,
                events=[d.event for d in group if d.kind is None],
                broken=[(d.kind, d.raw) for d in group if d.kind is not None],
            )
        )
    return objects


def upload(objects: Iterable[LandingObject], s3_client, bucket: str) -> int:
    count = 0
    for obj in objects:
        s3_client.put_object(Bucket=bucket, Key=obj.key, Body=obj.body)
        count += 1
    return count
