"""Splitting Firehose objects into records; a broken record never takes its neighbours."""

import gzip

from datalake.pipeline.records import split_records

A = b'{"version":"0","id":"a","detail":{"x":1}}'
B = b'{"version":"0","id":"b","detail":{"x":2}}'


def kinds(body):
    return [(r.error, r.value["id"] if r.value else None) for r in split_records(body)]


def test_ndjson_and_concatenated_and_gzip():
    assert kinds(A + b"\n" + B + b"\n") == [(None, "a"), (None, "b")]
    assert kinds(A + B) == [(None, "a"), (None, "b")]
    assert kinds(gzip.compress(A + B)) == [(None, "a"), (None, "b")]


def test_truncated_record_in_the_middle_and_at_the_end():
    truncated = B[:30]
    assert kinds(A + truncated + A) == [(None, "a"), ("invalid_json", None), (None, "a")]
    assert kinds(A + b"\n" + truncated + b"\n" + A) == [(None, "a"), ("invalid_json", None), (None, "a")]
    # Truncated inside a nested object and last in the object: one broken record, not fragments.
    last = b'{"version":"0","id":"c","detail":{"entity":"e","params":{"id":"e"},"payload":{"a":'
    assert kinds(A + b"\n" + last) == [(None, "a"), ("invalid_json", None)]
    assert list(split_records(A + b"\n" + last))[1].raw == last


def test_invalid_utf8_and_non_objects_are_quarantined_whole():
    bad = b'{"version":"0","id":"\xff"}'
    records = list(split_records(A + bad + b"[1,2]" + b'"text"' + B))
    assert [(r.error, r.position) for r in records] == [
        (None, 0), ("invalid_utf8", 1), ("not_an_object", 2), ("not_an_object", 3), (None, 4)]
    assert records[1].raw == bad


def test_empty_object():
    assert kinds(b"") == [] and kinds(b"\n  \n") == []
