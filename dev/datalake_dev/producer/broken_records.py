"""Broken records: each derived from a real event (with a fresh id) and never applied to the
world."""

from __future__ import annotations

import copy
import random

from datalake_dev.producer.events import ENTITY_STREAM, dumps, new_uuid

BROKEN_KINDS = (
    "truncated",
    "non_utf8",
    "not_object",
    "missing_field",
    "wrong_type",
    "unknown_operation",
    "bad_time",
)

BAD_TIMES = ("28/11/2026 10:15:03", "2026-13-45T25:61:00Z", "not-a-timestamp")


def break_record(kind: str, stream: str, event: dict, rng: random.Random) -> bytes:
    ev = copy.deepcopy(event) | {"id": new_uuid(rng)}
    detail = ev["detail"]
    if kind == "truncated":
        raw = dumps(ev).encode("utf-8")
        return raw[: rng.randrange(len(raw) // 4, len(raw) - 1)]
    if kind == "non_utf8":
        return non_utf8(dumps(ev))
    if kind == "not_object":
        # No bare numbers: two of them back to back in a concatenated object would merge.
        return dumps(rng.choice(([ev], dumps(ev), None))).encode("utf-8")
    if kind == "missing_field":
        target, name = rng.choice(
            [(ev, "id"), (ev, "time"), (ev, "detail"), (detail, "entity")]
            if stream == ENTITY_STREAM
            else [(ev, "id"), (ev, "time"), (detail, "id"), (detail, "lastUpdateTime")]
        )
        del target[name]
    elif kind == "wrong_type":
        if stream == ENTITY_STREAM:
            target, name, value = rng.choice(
                [
                    (detail, "org", [detail["org"]]),
                    (ev, "time", 1_795_000_000),
                    (detail, "entity", 12345),
                ]
            )
        else:
            target, name, value = rng.choice(
                [
                    (detail, "orgId", [detail["orgId"]]),
                    (detail, "flow", "[]"),
                    (detail, "lastUpdateTime", 1_795_000_000_000),
                ]
            )
        target[name] = value
    elif kind == "unknown_operation":
        if stream == ENTITY_STREAM:
            detail["operation"] = rng.choice(("renameEntity", "mergeEntity", "archiveEntity"))
        else:
            ev["detail-type"] = rng.choice(("WorkflowExecutionArchived", "WorkflowExecutionMoved"))
    elif kind == "bad_time":
        target, name = (
            (ev, "time")
            if stream == ENTITY_STREAM or rng.random() < 0.5
            else (detail, "lastUpdateTime")
        )
        target[name] = rng.choice(BAD_TIMES)
    else:
        raise ValueError(f"unknown broken kind {kind!r}")
    return dumps(ev).encode("utf-8")


def non_utf8(text: str) -> bytes:
    """A record written by a Windows-1252 client: umlauts become single, invalid UTF-8 bytes."""
    raw = text.encode("cp1252", errors="replace")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    # Pure ASCII record: put a Latin-1 byte into the first string value.
    return raw.replace(b'":"', b'":"\xfc', 1)
