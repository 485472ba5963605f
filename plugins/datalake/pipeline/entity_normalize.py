"""EventBridge entity-operation envelope -> the 13 string columns of entity_operations.

Only what cannot be shaped into a row is rejected here (detail not an object, a field of
the wrong JSON type); whether the values are right (operation in its set, ids well formed,
time parses and is not in the future, ...) is the Great Expectations suite's job, so a
row with a bad value reaches validation and is quarantined with the expectation's name.
"""

from __future__ import annotations

from datetime import datetime, timezone

from datalake.entity_schema import ENTITY_COLUMNS
from datalake.pipeline.records import compact_json, decode_detail


class NormalizeError(ValueError):
    """The record cannot become a row; the message is the quarantine reason."""


def format_time(value: datetime) -> str:
    """Fixed-width UTC ISO-8601 with milliseconds, so MAX and ORDER BY on text are right."""
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime | None:
    if not isinstance(text, str) or len(text) < 10:
        return None
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:  # EventBridge times are UTC
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _scalar(event: dict, path: str, value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise NormalizeError(f"wrong_type:{path}")
    return str(value)


def normalize_entity_event(event: dict) -> dict[str, str | None]:
    detail = decode_detail(event, NormalizeError)
    if not isinstance(detail, dict):
        raise NormalizeError("wrong_type:detail")
    params = detail.get("params") if isinstance(detail.get("params"), dict) else {}
    payload = detail.get("payload")
    schema = params.get("slug")
    if schema is None and isinstance(payload, dict):
        schema = payload.get("_schema")

    raw_time = event.get("time")
    if raw_time is not None and not isinstance(raw_time, str):
        raise NormalizeError("wrong_type:time")
    parsed = parse_time(raw_time) if raw_time else None
    row = {
        "id": _scalar(event, "id", event.get("id")),
        "detail-type": _scalar(event, "detail-type", event.get("detail-type")),
        "operation": _scalar(event, "detail.operation", detail.get("operation")),
        "source": _scalar(event, "source", event.get("source")),
        "account": _scalar(event, "detail.org", detail.get("org")),
        # An unparseable time is kept as delivered for the suite to reject by name.
        "time": format_time(parsed) if parsed else raw_time,
        "region": _scalar(event, "region", event.get("region")),
        "activity_id": _scalar(event, "detail.activity_id", detail.get("activity_id")),
        "entity_id": _scalar(event, "detail.entity", detail.get("entity")),
        "detail": compact_json(detail),
        "schema": _scalar(event, "detail.params.slug", schema),
        "month": str(parsed.astimezone(timezone.utc).month) if parsed else None,
        "year": str(parsed.astimezone(timezone.utc).year) if parsed else None,
    }
    assert tuple(row) == ENTITY_COLUMNS
    return row
