"""EventBridge entity-operation envelope -> the 13 string columns of entity_operations.

Only what cannot be shaped into a row is rejected here (detail not an object, a field of
the wrong JSON type); whether the values are right (operation in its set, ids well formed,
time parses and is not in the future, ...) is the Great Expectations suite's job, so a
row with a bad value reaches validation and is quarantined with the expectation's name.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from datalake.entity_schema import ENTITY_COLUMNS
from datalake.hourly.records import compact_json_bytes, decode_detail
from datalake.hourly.timestamps import canonical_eventbridge_time, parse_eventbridge_time


class NormalizeError(ValueError):
    """The record cannot become a row; the message is the quarantine reason."""


def format_time(value: datetime) -> str:
    """Fixed-width UTC ISO-8601 with milliseconds, so MAX and ORDER BY on text are right."""
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


parse_time = parse_eventbridge_time  # a `time` in EventBridge's layout as UTC, else None


def _scalar(event: dict, path: str, value) -> str | None:
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise NormalizeError(f"wrong_type:{path}")
    return str(value)


# The fields of a normalised row, in order: the 13 columns, then (not a column) whether
# `detail` has a payload, known here from the parsed object and handed to the suite's helper
# columns so that the `detail` text is not parsed a second time. `detail` is UTF-8 bytes (it
# goes to Parquet as is); every other field is a str or None.
DETAIL_HAS_PAYLOAD_KEY = "_detail_has_payload"
ROW_FIELDS: tuple[str, ...] = (*ENTITY_COLUMNS, DETAIL_HAS_PAYLOAD_KEY)
ID_INDEX = ROW_FIELDS.index("id")
DETAIL_INDEX = ROW_FIELDS.index("detail")
# `detail` is varchar(65535) in both DDLs: Redshift's VARCHAR limit, counted in bytes. A larger
# detail (EventBridge allows 256 KB events) would fail the hour's COPY: the event is
# quarantined whole instead, reason `detail_too_large` (docs/design.md "Oversized details").
DETAIL_MAX_BYTES = 65535
# The other columns' widths in both DDLs (bytes on Redshift, characters locally; checked as
# bytes) where nothing else bounds them: the suite's regexes and value sets bound time,
# operation, detail-type, entity_id, month and year. A longer value would fail the hour's
# COPY: the event is quarantined instead, reason `too_long:<column>`. tests/unit/
# test_entity_normalize.py checks these against include/sql/{warehouse,redshift}/ddl.sql.
COLUMN_MAX_BYTES = {
    "id": 256,
    "source": 256,
    "account": 64,
    "region": 32,
    "activity_id": 64,
    "schema": 128,
}
_WIDTH_CHECKS = tuple(
    (ROW_FIELDS.index(column), column, width) for column, width in COLUMN_MAX_BYTES.items()
)


# The JSON escape of U+0000: an odd number of backslashes before u0000 (two backslashes and
# u0000 are an escaped backslash followed by the text u0000).
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _check_widths(row: tuple) -> None:
    for index, column, width in _WIDTH_CHECKS:
        value = row[index]
        # A character is 1-4 UTF-8 bytes: only a long non-ASCII value needs encoding.
        if (
            value is not None
            and len(value) * 4 > width
            and (len(value) > width or (not value.isascii() and len(value.encode("utf-8")) > width))
        ):
            raise NormalizeError(f"too_long:{column}")


def _storable(*values: str | None) -> None:
    """Text PostgreSQL and Redshift can store: UTF-8 (no lone surrogate, which only a
    ``\\ud800``-style escape can produce) and no NUL character."""
    text = "".join(filter(None, values))
    if "\x00" in text:
        raise NormalizeError("unstorable_text:nul_character")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise NormalizeError("unstorable_text:lone_surrogate") from None


def normalize_entity_event(event: dict) -> tuple:
    """One row, laid out as ROW_FIELDS."""
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
    # Only EventBridge's own layout is read (whole seconds get ".000"); anything else is kept
    # as delivered for the suite to reject by name: never guessed, never rewritten.
    parsed = parse_time(raw_time) if raw_time else None
    time_text = canonical_eventbridge_time(raw_time) if parsed is not None else raw_time
    try:
        detail_json = compact_json_bytes(detail)
    except UnicodeEncodeError:
        raise NormalizeError("unstorable_text:lone_surrogate") from None
    # (A backslash is rare in a detail, and finding one byte is cheap: the regex runs seldom.)
    if b"\\" in detail_json and _ESCAPED_NUL.search(detail_json):
        # PostgreSQL's json functions refuse to extract anything from a document holding the
        # escape (every json_extract_path_text over the table would fail) and no text column
        # can hold the character itself: quarantined, not rewritten.
        raise NormalizeError("unstorable_text:nul_character")
    if len(detail_json) > DETAIL_MAX_BYTES:
        raise NormalizeError("detail_too_large")
    row = (
        _scalar(event, "id", event.get("id")),
        _scalar(event, "detail-type", event.get("detail-type")),
        _scalar(event, "detail.operation", detail.get("operation")),
        _scalar(event, "source", event.get("source")),
        _scalar(event, "detail.org", detail.get("org")),
        time_text,
        _scalar(event, "region", event.get("region")),
        _scalar(event, "detail.activity_id", detail.get("activity_id")),
        _scalar(event, "detail.entity", detail.get("entity")),
        detail_json,
        _scalar(event, "detail.params.slug", schema),
        str(parsed.month) if parsed else None,
        str(parsed.year) if parsed else None,
        "payload" in detail,
    )
    _storable(*row[:DETAIL_INDEX], *row[DETAIL_INDEX + 1 : -1])
    _check_widths(row)
    return row
