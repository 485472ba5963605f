"""Fast synthetic landing objects for the benchmark, derived from the sample producer.

The producer's world simulation (``datalake_dev.producer.simulate``) is exact but quadratic in
the number of live entities, so it cannot produce a million events. We run it once for a
small pool of *template* events (real payloads: opportunities, contacts, orders, ...), then
stamp out N events from the templates, each with a fresh event id, entity id (from a pool of
~N/3 entities), ULID activity id and event time inside the arrival hour. Broken records are
made by the producer's own ``break_record`` (truncated, non-UTF-8, wrong type, ...). Objects are
cut like Firehose: 5-20 MB uncompressed each, gzip or plain, NDJSON or concatenated.
Generation time is not part of any measurement.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from datalake_dev import producer

ID, ENT, ACT, TIME, EXEC = (
    "\x01ID\x01",
    "\x01ENT\x01",
    "\x01ACT\x01",
    "\x01TIME\x01",
    "\x01EXEC\x01",
)
MB = 1024 * 1024


@dataclass
class Generated:
    keys: list[str] = field(default_factory=list)
    objects: int = 0
    records: int = 0  # every record written, duplicates and broken included
    good_events: int = 0  # distinct well-formed events
    duplicates: int = 0
    broken: int = 0
    bytes_uncompressed: int = 0
    bytes_stored: int = 0
    gzip_objects: int = 0
    ndjson_objects: int = 0
    record_bytes_min: int = 0
    record_bytes_max: int = 0
    record_bytes_mean: float = 0.0

    def summary(self) -> dict:
        out = dict(self.__dict__)
        out.pop("keys")
        return out


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _ulid(ms: int, rng: random.Random) -> str:
    value = (ms << 80) | rng.getrandbits(80)
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in range(25, -1, -1))


def template_events(stream: str, seed: int) -> list[tuple[dict, str]]:
    """(event, serialized-with-placeholders) pairs from one simulated busy hour."""
    cfg = producer.ProducerConfig(
        seed=seed,
        entities_per_hour=2500,
        workflow_updates_per_hour=500,
        objects_per_hour=1,
        defects=producer.DefectRates.none(),
        detail_as_string_share=0.0,
    )
    events = [
        e
        for o in producer.simulate(datetime(2026, 1, 5, 9, tzinfo=timezone.utc), 1, cfg)
        if o.stream == stream
        for e in o.events
    ]
    out = []
    for event in events:
        variants = [event]
        if stream == producer.ENTITY_STREAM and event["detail"]["operation"] == "updateEntity":
            # Smaller records too: an update whose diff is a single field.
            slim = json.loads(json.dumps(event))
            updated = slim["detail"]["diff"]["updated"]
            slim["detail"]["diff"] = {
                "added": {},
                "updated": dict(list(updated.items())[:1]),
                "deleted": {},
            }
            variants.append(slim)
        for ev in variants:
            text = producer.dumps(ev)
            if stream == producer.ENTITY_STREAM:
                entity = ev["detail"]["entity"]
                text = (
                    text.replace(ev["id"], ID)
                    .replace(entity, ENT)
                    .replace(ev["detail"]["activity_id"], ACT)
                    .replace(f'"time":"{ev["time"]}"', f'"time":"{TIME}"')
                )
                if not 400 <= len(text.encode()) <= 2000:
                    continue
            else:
                text = (
                    text.replace(ev["id"], ID)
                    .replace(ev["detail"]["id"], EXEC)
                    .replace(
                        f'"lastUpdateTime":"{ev["detail"]["lastUpdateTime"]}"',
                        f'"lastUpdateTime":"{TIME}"',
                    )
                    .replace(f'"time":"{ev["time"]}"', f'"time":"{TIME}"')
                )
            out.append((ev, text))
    return out


def _iso_ms(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class _ObjectWriter:
    """Cuts records into Firehose-like objects and uploads them."""

    def __init__(
        self,
        client,
        bucket: str,
        stream: str,
        hour: datetime,
        rng: random.Random,
        result: Generated,
        min_bytes: int,
        max_bytes: int,
    ):
        self.client, self.bucket, self.stream, self.hour, self.rng, self.result = (
            client,
            bucket,
            stream,
            hour,
            rng,
            result,
        )
        self.min_bytes, self.max_bytes = min_bytes, max_bytes
        self.records: list[bytes] = []
        self.size = 0
        self.target = rng.randint(min_bytes, max_bytes)

    def add(self, raw: bytes) -> None:
        self.records.append(raw)
        self.size += len(raw)
        if self.size >= self.target:
            self.flush()

    def flush(self) -> None:
        if not self.records:
            return
        rng, result = self.rng, self.result
        gzipped, ndjson = rng.random() < 0.5, rng.random() < 0.5
        body = b"".join(r + b"\n" for r in self.records) if ndjson else b"".join(self.records)
        result.bytes_uncompressed += len(body)
        if gzipped:
            body = gzip.compress(body, compresslevel=6, mtime=0)
        index = result.objects
        written = self.hour + timedelta(seconds=min(3599, index * 37 % 3600))
        key = (
            f"{self.stream}/{self.hour:%Y/%m/%d/%H}/{producer.FIREHOSE_NAME}-1-{written:%Y-%m-%d-%H-%M-%S}-"
            f"{index:05d}-{_uuid(rng)}{'.gz' if gzipped else ''}"
        )
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body)
        result.keys.append(key)
        result.objects += 1
        result.bytes_stored += len(body)
        result.gzip_objects += gzipped
        result.ndjson_objects += ndjson
        self.records, self.size = [], 0
        self.target = rng.randint(self.min_bytes, self.max_bytes)


def entity_hour(
    client,
    bucket: str,
    hour: datetime,
    n: int,
    seed: int = 8,
    duplicate_rate: float = 0.003,
    broken_rate: float = 0.003,
    min_object_bytes: int = 5 * MB,
    max_object_bytes: int = 20 * MB,
    string_detail_share: float = 0.0,
) -> Generated:
    """Upload one arrival hour of ``n`` distinct entity events (+ duplicates and broken records)."""
    rng = random.Random(seed)
    templates = template_events(producer.ENTITY_STREAM, seed)
    result = Generated()
    writer = _ObjectWriter(
        client,
        bucket,
        producer.ENTITY_STREAM,
        hour,
        rng,
        result,
        min_object_bytes,
        max_object_bytes,
    )
    entities = [_uuid(rng) for _ in range(max(1, n // 3))]
    start_ms = int(hour.timestamp() * 1000)
    pending_dups: list[bytes] = []
    sizes_min, sizes_max, total = 1 << 30, 0, 0
    kinds = producer.BROKEN_KINDS
    for i in range(n):
        event, text = templates[rng.randrange(len(templates))]
        # Event times fill the hour in order, a few minutes of them a little late.
        ms = (
            start_ms
            + (i * 3_600_000) // max(n, 1)
            - (rng.randrange(600_000) if rng.random() < 0.05 else 0)
        )
        t = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
        stamp = _iso_ms(t) if rng.random() < 0.2 else t.strftime("%Y-%m-%dT%H:%M:%SZ")
        raw_text = (
            text.replace(ID, _uuid(rng))
            .replace(ENT, entities[rng.randrange(len(entities))])
            .replace(ACT, _ulid(ms, rng))
            .replace(TIME, stamp)
        )
        base_text = raw_text
        if string_detail_share and rng.random() < string_detail_share:
            ev = json.loads(raw_text)
            ev["detail"] = producer.dumps(ev["detail"])
            raw_text = producer.dumps(ev)
        raw = raw_text.encode("utf-8")
        size = len(raw)
        sizes_min, sizes_max, total = min(sizes_min, size), max(sizes_max, size), total + size
        writer.add(raw)
        result.records += 1
        result.good_events += 1
        if rng.random() < duplicate_rate:
            if rng.random() < 0.5:
                writer.add(raw)  # same object (or the next one, when this one was just cut)
            else:
                pending_dups.append(raw)  # a later object of the hour
            result.records += 1
            result.duplicates += 1
        if rng.random() < broken_rate:
            writer.add(
                producer.break_record(
                    kinds[rng.randrange(len(kinds))],
                    producer.ENTITY_STREAM,
                    json.loads(base_text),
                    rng,
                )
            )
            result.records += 1
            result.broken += 1
        if pending_dups and rng.random() < 0.01:
            writer.add(pending_dups.pop())
    for raw in pending_dups:
        writer.add(raw)
    writer.flush()
    result.record_bytes_min, result.record_bytes_max = sizes_min, sizes_max
    result.record_bytes_mean = round(total / max(n, 1), 1)
    return result


def workflow_hour(
    client,
    bucket: str,
    hour: datetime,
    executions: int,
    seed: int = 9,
    min_object_bytes: int = 5 * MB,
    max_object_bytes: int = 20 * MB,
) -> Generated:
    """Upload one arrival hour in which ``executions`` distinct workflow executions are updated."""
    rng = random.Random(seed)
    templates = template_events(producer.WORKFLOW_STREAM, seed)
    result = Generated()
    writer = _ObjectWriter(
        client,
        bucket,
        producer.WORKFLOW_STREAM,
        hour,
        rng,
        result,
        min_object_bytes,
        max_object_bytes,
    )
    start_ms = int(hour.timestamp() * 1000)
    sizes_min, sizes_max, total = 1 << 30, 0, 0
    for i in range(executions):
        _, text = templates[rng.randrange(len(templates))]
        ms = start_ms + (i * 3_600_000) // max(executions, 1)
        stamp = _iso_ms(datetime.fromtimestamp(ms / 1000, tz=timezone.utc))
        # Execution ids look like the API's ("8gja72h6kas6h"); unique per execution.
        exec_id = f"bx{i:011d}"
        raw = (
            text.replace(ID, _uuid(rng)).replace(EXEC, exec_id).replace(TIME, stamp).encode("utf-8")
        )
        sizes_min, sizes_max, total = (
            min(sizes_min, len(raw)),
            max(sizes_max, len(raw)),
            total + len(raw),
        )
        writer.add(raw)
        result.records += 1
        result.good_events += 1
    writer.flush()
    result.record_bytes_min, result.record_bytes_max = sizes_min, sizes_max
    result.record_bytes_mean = round(total / max(executions, 1), 1)
    return result
