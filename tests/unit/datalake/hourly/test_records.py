"""Splitting Firehose objects into records; a broken record never takes its neighbours."""

import gzip
import random

from datalake.hourly.records import decompress_object, split_records

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
    assert kinds(A + b"\n" + truncated + b"\n" + A) == [
        (None, "a"),
        ("invalid_json", None),
        (None, "a"),
    ]
    # Truncated inside a nested object and last in the object: one broken record, not fragments.
    last = b'{"version":"0","id":"c","detail":{"entity":"e","params":{"id":"e"},"payload":{"a":'
    assert kinds(A + b"\n" + last) == [(None, "a"), ("invalid_json", None)]
    assert list(split_records(A + b"\n" + last))[1].raw == last


def test_invalid_utf8_and_non_objects_are_quarantined_whole():
    bad = b'{"version":"0","id":"\xff"}'
    records = list(split_records(A + bad + b"[1,2]" + b'"text"' + B))
    assert [(r.error, r.position) for r in records] == [
        (None, 0),
        ("invalid_utf8", 1),
        ("not_an_object", 2),
        ("not_an_object", 3),
        (None, 4),
    ]
    assert records[1].raw == bad


def test_an_object_without_records_is_one_empty_object_record():
    for body in (b"", b"\n  \n", gzip.compress(b"")):
        (record,) = split_records(body)
        assert (record.error, record.position, record.raw) == ("empty_object", 0, body)


def many(n, start=0):
    rng = random.Random(start)
    return (
        b"\n".join(
            b'{"version":"0","id":"%d","detail":{"x":"%s"}}' % (i, rng.randbytes(40).hex().encode())
            for i in range(start, start + n)
        )
        + b"\n"
    )


def test_gzip_cut_short_keeps_the_records_before_the_cut():
    plain = many(2000)
    body = gzip.compress(plain)
    cut = body[: len(body) * 2 // 3]
    records = list(split_records(cut))
    kept, last = records[:-1], records[-1]
    assert kept and all(r.error is None for r in kept)
    assert [r.value["id"] for r in kept] == [str(i) for i in range(len(kept))]
    assert (last.error, last.position, last.object_offset) == (
        "truncated_object",
        len(kept),
        len(cut),
    )
    # The quarantined rest is exactly the decoded bytes after the kept records, at its offset.
    assert plain[last.offset :].startswith(last.raw) and plain[: last.offset].count(b"\n") == len(
        kept
    )
    assert last.raw and not last.raw.endswith(b"\n")  # the record the cut went through


def test_gzip_cut_in_its_header_or_trailer():
    body = gzip.compress(A + b"\n")
    (record,) = split_records(body[:5])
    assert (record.error, record.raw, record.offset) == ("truncated_object", b"", 0)
    # Cut in the 8-byte trailer: every record is whole, the object is still flagged.
    assert kinds(body[:-4]) == [(None, "a"), ("truncated_object", None)]


def test_several_gzip_members_are_all_read():
    members = [gzip.compress(many(300, start)) for start in (0, 300, 600)]
    assert [r.value["id"] for r in split_records(b"".join(members))] == [str(i) for i in range(900)]
    # Zero padding after the last member is not data (gzip's own rule); a cut in the second
    # member keeps the first member's records and those of the second before the cut.
    assert len(list(split_records(b"".join(members) + b"\0" * 8))) == 900
    records = list(split_records(members[0] + members[1][: len(members[1]) // 2]))
    assert records[-1].error == "truncated_object" and 300 < len(records) < 600
    assert all(r.error is None for r in records[:-1])


def test_corrupt_gzip_and_garbage_after_a_member():
    body = bytearray(gzip.compress(many(2000)))
    body[len(body) // 2] ^= 0xFF  # a flipped byte in the deflate data
    records = list(split_records(bytes(body)))
    # zlib notices bad data some bytes after it (what it wrote meanwhile may be garbage): the
    # records before are kept, the object ends in one corrupt_gzip record.
    good = [r.value["id"] for r in records if r.error is None]
    assert records[-1].error == "corrupt_gzip" and good[:900] == [str(i) for i in range(900)]
    data, damage = decompress_object(gzip.compress(A) + b"not gzip")
    assert data == A and damage == ("corrupt_gzip", len(gzip.compress(A)))
    # A bad CRC: the data decoded, the check failed: keep the records, flag the object.
    crc_bad = bytearray(gzip.compress(A + b"\n"))
    crc_bad[-8] ^= 0xFF
    assert kinds(bytes(crc_bad)) == [(None, "a"), ("corrupt_gzip", None)]


def test_not_gzip_though_named_so_and_gzip_of_invalid_utf8():
    (record,) = split_records(b"PK\x03\x04 a zip archive, not gzip \xff\xfe\x00 " * 3)
    assert record.error == "invalid_json" and record.raw.startswith(b"PK\x03\x04")
    bad = b'{"version":"0","id":"\xff\xfe"}'
    assert kinds(gzip.compress(A + b"\n" + bad + b"\n" + B)) == [
        (None, "a"),
        ("invalid_utf8", None),
        (None, "b"),
    ]
