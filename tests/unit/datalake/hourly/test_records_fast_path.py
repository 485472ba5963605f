"""The orjson fast path of split_records and compact_json_bytes give exactly what the reference
(json.raw_decode / json.dumps) gives, on producer output and on records built to trip it."""

import gzip
import json
import random
from datetime import datetime, timezone

import orjson
import pytest

from datalake.hourly.records import compact_json_bytes, loads_or_none, split_records
from datalake_dev.producer import DefectRates, ProducerConfig, simulate


def compact_json(value) -> str:
    return compact_json_bytes(value).decode("utf-8")


GOOD = b'{"version":"0","id":"g","detail":{"entity":"e","payload":{"n":1.5,"s":"\xc3\xa9"}}}'

# Each of these makes orjson refuse the slice, or would make its answer differ.
TRICKY = [
    b'{"version":"0","id":"nan","detail":{"x":NaN,"y":-Infinity}}',
    b'{"version":"0","id":"big","detail":{"x":18446744073709551616,"y":-9223372036854775809}}',
    b'{"version":"0","id":"digits","detail":{"x":"1234567890123456789012"}}',
    b'{"version":"0","id":"surrogate","detail":{"x":"\\ud800"}}',
    b'{"version":"0","id":"nested","detail":{"payload":{"version":2,"v":{"version":"x"}}}}',
    b'{"version":"0",\n  "id":"pretty",\n  "detail":{"a":1}\n}',
    b'{"version":"0","id":"two"}{"version":"0","id":"on one line"}',
    b'{"version":"0","id":"junk"} trailing junk',
    b'\xef\xbb\xbf{"version":"0","id":"bom"}',
    b'{"version":"0","id":"vt"}\x0b',
    b'{"version":"0","id":"exp","detail":{"x":1e-7,"y":2.5E-12,"z":1e+16}}',
    b'{"version":"0","id":"dup","id":"dup2"}',
    b'{"version":"0","id":"ctrl","detail":{"x":"a\tb"}}',
    b'{"version":"0","id":"\xff\xfe"}',
    b'{"version":"0","id":"trunc","detail":{"a":"op',
    b'{"version":"0","id":"trunc2","detail":{"a":',
    b"null",
    b"[1,2]",
    b'"text"',
    b"{}",
    b'{"version" : "0","id":"spaced"}',
    b'{"id":"no-version-first","version":"0"}',
]


def records(body: bytes, fast: bool):
    # repr: NaN != NaN, but both paths must give the same text for it
    return [(r.position, repr(r.value), r.raw, r.error) for r in split_records(body, fast=fast)]


def assert_same(body: bytes):
    assert records(body, fast=True) == records(body, fast=False)


@pytest.mark.parametrize("separator", [b"", b"\n", b"\r\n", b" \n\n", b"\n\x0b"])
def test_tricky_records_in_both_layouts(separator):
    rng = random.Random(len(separator))
    for _ in range(200):
        parts = [rng.choice(TRICKY + [GOOD] * 4) for _ in range(rng.randint(1, 12))]
        body = separator.join(parts)
        assert_same(body)
        assert_same(body + separator)
        assert_same(gzip.compress(body))


def test_every_tricky_record_alone_and_between_good_ones():
    for record in TRICKY:
        for body in (record, GOOD + record + GOOD, GOOD + b"\n" + record + b"\n" + GOOD):
            assert_same(body)


def test_producer_objects_with_all_defects():
    config = ProducerConfig(defects=DefectRates.uniform(0.05))
    objects = simulate(datetime(2026, 11, 2, 8, tzinfo=timezone.utc), 2, config)
    assert objects and any(o.broken for o in objects)
    for obj in objects:
        assert_same(obj.body)


def test_the_fast_path_is_taken_for_well_formed_records(monkeypatch):
    from datalake.hourly import records as module

    calls = []
    reference = module._reference_record
    monkeypatch.setattr(module, "_reference_record", lambda *a: calls.append(a) or reference(*a))
    body = b"\n".join([GOOD] * 50)
    assert len(list(split_records(body))) == 50 and calls == []
    assert len(list(split_records(body.replace(b"\n", b"")))) == 50 and calls == []


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 2.5, None, True, False], "b": {"c": 'é\u2028\x7f\x00\x1f"\\'}},
        {"x": 1e-7, "y": [1e-300, 5e-324, 1e16, 1e22, -0.0]},
        {"big": 2**64, "neg": -(2**63) - 1},
        {"text": "1e-7 inside a string"},
        {"x": 5e-05, "y": [-1.234e-05, 0.0001, 10.00001]},  # orjson: 0.00005, json.dumps: 5e-05
        {"id": "1b4e-8c0e-4a1b", "n": ":0e-4", "m": "0.00001"},  # the markers inside strings
        [3e-8, 1e-5],
        5e-05,
        -7e-06,
    ],
)
def test_compact_json_is_json_dumps(value):
    assert compact_json(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_compact_json_of_a_lone_surrogate_cannot_be_utf8():
    # json.dumps writes it; no UTF-8 encoding can (the normaliser quarantines the record).
    assert json.dumps({"s": "\udc80"}, ensure_ascii=False) == '{"s": "\udc80"}'
    with pytest.raises(UnicodeEncodeError):
        compact_json_bytes({"s": "\udc80"})


def test_non_finite_numbers_never_reach_compact_json():
    """NaN/Infinity are not JSON: the record is quarantined (neither decoder lets them by)."""
    from datalake.hourly.records import decode_detail

    record = b'{"version":"0","id":"nan","detail":{"x":NaN,"y":[-Infinity,1]}}'
    (parsed,) = split_records(record)
    assert (parsed.value, parsed.error) == (None, "invalid_json:non_finite_number")
    with pytest.raises(ValueError, match="invalid_detail_json:non_finite_number"):
        decode_detail({"detail": '{"x":Infinity}'}, ValueError)


def test_compact_json_random_floats():
    rng = random.Random(7)
    values = [rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-30, 30) for _ in range(20_000)]
    assert compact_json(values) == json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    # One at a time: a list falls back to json.dumps as a whole as soon as one float needs it.
    for value in values:
        assert compact_json({"v": value}) == json.dumps(
            {"v": value}, separators=(",", ":"), ensure_ascii=False
        )


def test_compact_json_keeps_the_fast_path_for_uuids(monkeypatch):
    """The ``e-`` of a UUID is no number: no fallback to json.dumps."""
    from datalake.hourly import records as module

    monkeypatch.setattr(
        module.json, "dumps", lambda *a, **k: pytest.fail("fell back to json.dumps")
    )
    value = {"entity": "0e3f1b4e-8c0e-4a1b-9e0e-00005e-4", "n": [1.5, 0.001, 2e-4, 1e16]}
    assert compact_json_bytes(value) == orjson.dumps(value)


@pytest.mark.parametrize(
    "text", ['{"a":1}', "null", "NaN", '{"a":18446744073709551616}', "{", "", '"\\ud800"']
)
def test_loads_or_none(text):
    try:
        expected = json.loads(text, parse_constant=lambda name: pytest.fail("not JSON"))
    except (ValueError, pytest.fail.Exception):
        expected = None  # NaN is not JSON
    assert loads_or_none(text) == expected
