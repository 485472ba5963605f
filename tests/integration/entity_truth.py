"""An independent computation of what the warehouse must hold, from raw landing objects.

Plain Python over the producer's bytes; deliberately shares no code with the pipeline.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone

OPS = {"createEntity", "updateEntity", "deleteEntity"}
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def _records(body: bytes):
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("utf-8", "replace")
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            nxt = text.find('{"version"', pos + 1)
            yield None
            if nxt < 0:
                return
            pos = nxt
            continue
        yield None if "\ufffd" in text[pos:end] else value
        pos = end


def _good(event, arrival_end: datetime):
    if not isinstance(event, dict):
        return None
    detail = event.get("detail")
    if isinstance(detail, str):
        detail = json.loads(detail)
    if not isinstance(detail, dict):
        return None
    try:
        t = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
        uuid.UUID(detail["entity"])
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    if t > arrival_end + timedelta(minutes=15):
        return None
    if (
        detail.get("operation") not in OPS
        or not isinstance(detail.get("org"), str)
        or not event.get("id")
    ):
        return None
    if not ULID.match(str(detail.get("activity_id", ""))) or "payload" not in detail:
        return None
    t = t.astimezone(timezone.utc)
    return {
        "id": event["id"],
        "operation": detail["operation"],
        "account": detail["org"],
        "time": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
        "entity_id": detail["entity"],
        "detail": detail,
        "schema": detail.get("params", {}).get("slug"),
        "year": str(t.year),
        "month": str(t.month),
    }


def expected_rows(objects) -> dict[str, dict]:
    """id -> row of every valid event, first delivery wins."""
    rows: dict[str, dict] = {}
    for obj in sorted(objects, key=lambda o: (o.arrival_hour, o.key)):
        if obj.stream != "entity_operations":
            continue
        end = obj.arrival_hour + timedelta(hours=1)
        for value in _records(obj.body):
            row = _good(value, end)
            if row and row["id"] not in rows:
                rows[row["id"]] = row
    return rows


def expected_current(rows: dict[str, dict]) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for row in rows.values():
        best = latest.get(row["entity_id"])
        if best is None or (row["time"], row["id"]) > (best["time"], best["id"]):
            latest[row["entity_id"]] = row
    return {e: r for e, r in latest.items() if r["operation"] != "deleteEntity"}


def example_1(rows: dict[str, dict]) -> dict[tuple, int]:
    counts: dict[tuple, int] = defaultdict(int)
    for row in rows.values():
        if row["schema"] == "opportunity" and row["operation"] == "createEntity":
            payload = row["detail"].get("payload", {})
            created = datetime.fromisoformat(payload["_created_at"].replace("Z", "+00:00"))
            counts[(payload.get("source", {}).get("title"), created.year, created.month)] += 1
    return dict(counts)


def example_2(rows: dict[str, dict], year: int, month: int) -> set[str]:
    span = defaultdict(list)
    for row in rows.values():
        if (
            row["schema"] == "opportunity"
            and row["year"] == str(year)
            and row["month"] == str(month)
        ):
            span[row["entity_id"]].append(row["operation"])
    return {e for e, ops in span.items() if "deleteEntity" not in ops}
