"""An EventBridge envelope -> one row laid out as ROW_FIELDS; text the warehouse cannot store is
refused with a reason instead of failing the batch."""

import copy
import json

import pytest

from datalake.entity.normalize import ROW_FIELDS, NormalizeError, normalize_entity_event
from datalake.entity_schema import ENTITY_COLUMNS
from datalake.hourly.records import split_records

ENVELOPE = {
    "version": "0",
    "id": "e1",
    "detail-type": "EntityOperation",
    "source": "entity-api",
    "account": "1",
    "time": "2026-11-29T06:00:01Z",
    "region": "eu-central-1",
    "detail": {
        "org": "739224",
        "entity": "7d1a",
        "operation": "createEntity",
        "activity_id": "01J",
        "params": {"slug": "order"},
        "payload": {"n": 1e-7, "t": "é"},
    },
}


def test_row_layout_and_values():
    row = dict(zip(ROW_FIELDS, normalize_entity_event(ENVELOPE), strict=False))
    assert ROW_FIELDS[: len(ENTITY_COLUMNS)] == ENTITY_COLUMNS
    assert row["time"] == "2026-11-29T06:00:01.000Z" and (row["year"], row["month"]) == (
        "2026",
        "11",
    )
    assert (
        row["schema"] == "order"
        and row["account"] == "739224"
        and row["_detail_has_payload"] is True
    )
    assert (
        row["detail"]
        == json.dumps(ENVELOPE["detail"], separators=(",", ":"), ensure_ascii=False).encode()
    )


def test_canonical_time_kept_as_delivered():
    row = normalize_entity_event(ENVELOPE | {"time": "2026-11-29T06:00:01.250Z"})
    assert row[ROW_FIELDS.index("time")] == "2026-11-29T06:00:01.250Z"


@pytest.mark.parametrize(
    "delivered, stored",
    [
        ("2026-11-29T06:00:01Z", "2026-11-29T06:00:01.000Z"),
        ("2024-02-29T23:59:59Z", "2024-02-29T23:59:59.000Z"),
        ("2026-11-29T06:00:01.250Z", "2026-11-29T06:00:01.250Z"),
        ("3000-01-01T00:00:00Z", "3000-01-01T00:00:00.000Z"),
    ],
)
def test_eventbridge_times_are_stored_with_milliseconds(delivered, stored):
    row = normalize_entity_event(ENVELOPE | {"time": delivered})
    assert row[ROW_FIELDS.index("time")] == stored and row[ROW_FIELDS.index("year")] == stored[:4]


@pytest.mark.parametrize(
    "delivered",
    [
        "2026-12-31",
        "2026-W53-4",
        "2026-W53-4T10:00:00Z",
        "20261231T100000Z",
        "2026-12-31T10:00:00+00:00:30",
        "2026-11-29T07:00:01+01:00",
        "2026-11-29T06:00:01z",
        "2026-11-29T06:00:01.5Z",
        "2026-11-29 06:00:01Z",
        "2026-11-29T06:00:01.123456Z",
        "2026-11-29T06:00:01",
        " 2026-11-29T06:00:01Z",
        "2026-11-29T06:00:01Z\n",
    ],
)
def test_a_time_not_in_the_eventbridge_layout_is_kept_as_delivered_for_the_suite(delivered):
    """Never guessed or rewritten: the suite rejects it by name (time regex)."""
    row = normalize_entity_event(ENVELOPE | {"time": delivered})
    assert row[ROW_FIELDS.index("time")] == delivered and row[ROW_FIELDS.index("year")] is None


@pytest.mark.parametrize(
    "delivered", ["2026-02-30T06:00:01Z", "2026-11-29T24:00:00Z", "2026-11-29T06:00:60Z"]
)
def test_impossible_times_in_the_shortcut_layout_are_kept_for_the_suite(delivered):
    row = normalize_entity_event(ENVELOPE | {"time": delivered})
    assert row[ROW_FIELDS.index("time")] == delivered and row[ROW_FIELDS.index("year")] is None


@pytest.mark.parametrize(
    "record, reason",
    [
        (
            b'{"version":"0","id":"a\\ud800","time":"2026-11-29T06:00:01Z","detail":{"payload":{}}}',
            "unstorable_text:lone_surrogate",
        ),
        (
            b'{"version":"0","id":"a","time":"2026-11-29T06:00:01Z","detail":{"payload":{"x":"\\udc80"}}}',
            "unstorable_text:lone_surrogate",
        ),
        (
            b'{"version":"0","id":"a\\u0000b","time":"2026-11-29T06:00:01Z","detail":{"payload":{}}}',
            "unstorable_text:nul_character",
        ),
    ],
)
def test_text_the_warehouse_cannot_store_is_refused(record, reason):
    (parsed,) = split_records(record)
    with pytest.raises(NormalizeError, match=reason):
        normalize_entity_event(parsed.value)


HEAD = b'{"version":"0","id":"a","time":"2026-11-29T06:00:01Z","detail":'


@pytest.mark.parametrize(
    "detail",
    [
        b'{"payload":{"x":"\\u0000"}}',
        b'{"payload":{"x\\u0000":1}}',
        b'{"payload":{"x":"a\\\\\\u0000"}}',
    ],
)
def test_nul_inside_detail_is_quarantined(detail):
    """PostgreSQL's json functions fail on the escape for every key of the document."""
    (parsed,) = split_records(HEAD + detail + b"}")
    with pytest.raises(NormalizeError, match="unstorable_text:nul_character"):
        normalize_entity_event(parsed.value)


def test_an_escaped_backslash_before_u0000_is_text_and_loads():
    (parsed,) = split_records(HEAD + b'{"payload":{"x":"\\\\u0000"}}}')
    row = normalize_entity_event(parsed.value)
    assert row[ROW_FIELDS.index("detail")] == b'{"payload":{"x":"\\\\u0000"}}'


@pytest.mark.parametrize(
    "record",
    [
        b'{"version":"0","id":"a","time":"2026-11-29T06:00:01Z","detail":{"payload":{"x":NaN}}}',
        b'{"version":"0","id":"a","time":"2026-11-29T06:00:01Z","detail":{"payload":{"x":-Infinity}}}',
        b'{"version":"0","id":"a","time":"2026-11-29T06:00:01Z","detail":{"payload":{"x":1e999}}}',
    ],
)
def test_non_finite_numbers_are_not_json(record):
    (parsed,) = split_records(record)
    assert (parsed.value, parsed.raw) == (None, record)
    assert parsed.error == "invalid_json:non_finite_number"


def test_non_finite_number_in_a_string_detail_is_not_json():
    event = ENVELOPE | {"detail": '{"payload":{"x":NaN}}'}
    with pytest.raises(NormalizeError, match="invalid_detail_json:non_finite_number"):
        normalize_entity_event(event)


def _ddl_widths(relative: str) -> dict[str, int]:
    """Column -> varchar width of entity_operations in one of the DDL files."""
    import re
    from pathlib import Path

    sql = (Path(__file__).resolve().parents[4] / "include" / "sql" / relative).read_text()
    body = sql[sql.index("epilot_datalake.entity_operations (") :]
    body = body[: body.index(";")]
    return {
        name.strip('"'): int(width)
        for name, width in re.findall(r'^\s*("?[\w-]+"?)\s+varchar\((\d+)\)', body, re.M)
    }


def test_width_limits_are_the_ddls():
    from datalake.entity.normalize import COLUMN_MAX_BYTES, DETAIL_MAX_BYTES

    for ddl in ("warehouse/ddl.sql", "redshift/ddl.sql"):
        widths = _ddl_widths(ddl)
        assert widths["detail"] == DETAIL_MAX_BYTES, ddl
        assert {c: widths[c] for c in COLUMN_MAX_BYTES} == COLUMN_MAX_BYTES, ddl


@pytest.mark.parametrize(
    "field, value, reason",
    [
        ("id", "x" * 257, "too_long:id"),
        (
            "source",
            "é" * 129,
            "too_long:source",
        ),  # 129 characters, 258 bytes: Redshift counts bytes
        ("region", "eu-central-1" * 3, "too_long:region"),
    ],
)
def test_values_wider_than_their_column_are_refused(field, value, reason):
    event = copy.deepcopy(ENVELOPE)
    event[field] = value
    with pytest.raises(NormalizeError, match=reason):
        normalize_entity_event(event)
    event[field] = value[:32] if field == "region" else value[:128]
    normalize_entity_event(event)  # at the width (in bytes): fine


def test_a_detail_larger_than_the_column_is_refused_whole():
    event = copy.deepcopy(ENVELOPE)
    event["detail"]["payload"] = {"big": "é" * 33_000}  # 66 000 bytes, 33 000 characters
    with pytest.raises(NormalizeError, match="detail_too_large"):
        normalize_entity_event(event)
    event["detail"]["payload"] = {"big": "x" * 60_000}
    assert len(normalize_entity_event(event)[ROW_FIELDS.index("detail")]) < 65_535
