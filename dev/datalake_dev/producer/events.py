"""What the producer emits: EventBridge envelopes of the two streams, their vocabulary, and
the id, time and JSON helpers the world and the Firehose writer share."""

from __future__ import annotations

import json
import random
import string
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from datalake.ulid import ulid  # noqa: F401  (re-exported: the producer's events use it)

ENTITY_STREAM = "entity_operations"
WORKFLOW_STREAM = "workflow_executions"
STREAMS = (ENTITY_STREAM, WORKFLOW_STREAM)
AWS_ACCOUNT = "123456789012"
REGION = "eu-central-1"

ENTITY_OPERATIONS = ("createEntity", "updateEntity", "deleteEntity")
WORKFLOW_DETAIL_TYPES = (
    "WorkflowExecutionCreated",
    "WorkflowExecutionUpdated",
    "WorkflowExecutionDeleted",
)
# Enum values exactly as in the public WorkflowExecution API schema (2023).
WORKFLOW_STATUSES = ("STARTED", "DONE", "CLOSED")
SECTION_STATUSES = ("OPEN", "IN_PROGRESS", "COMPLETED")
STEP_STATUSES = ("UNASSIGNED", "ASSIGNED", "COMPLETED", "SKIPPED", "IN_PROGRESS")
STEP_DONE = ("COMPLETED", "SKIPPED")


def event_detail(event: dict) -> dict:
    """The detail object of a delivered event, whether it came as an object or a JSON string."""
    detail = event["detail"]
    return json.loads(detail) if isinstance(detail, str) else detail


def iso_ms(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def iso_s(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_hour(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_second(t: datetime) -> datetime:
    return t.replace(microsecond=0)


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def short_id(rng: random.Random, n: int = 13) -> str:
    # Workflow ids look like "8gja72h6kas6h" in the API examples.
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=n))


def dumps(value: Any) -> str:
    # Compact and raw UTF-8, like EventBridge records in Firehose.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def random_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span_ms = max(1, int((end - start).total_seconds() * 1000))
    return start + timedelta(milliseconds=rng.randrange(span_ms))


@dataclass
class Produced:
    """An event the world emitted, with its stream and event time (before delivery)."""

    stream: str
    time: datetime
    event: dict


def envelope(
    rng: random.Random, detail_type: str, source: str, t: datetime, detail: dict, with_ms: bool
) -> dict:
    return {
        "version": "0",
        "id": new_uuid(rng),
        "detail-type": detail_type,
        "source": source,
        "account": AWS_ACCOUNT,
        "time": iso_ms(t) if with_ms else iso_s(t),
        "region": REGION,
        "resources": [],
        "detail": detail,
    }
