"""Quarantine files round-trip any string: one record a line whatever its text holds."""

from __future__ import annotations

import gzip

import pytest

from datalake.hourly.quarantine import QuarantineRecord, parse_quarantine_line, quarantine_lines

STRINGS = [
    "a\u2028b",
    "a\u2029b",
    "a\u0085b",
    "a\nb\rc",
    "a\x1c\x1d\x1e\x0b\x0cb",
    "\ufeffbom",
    "é\u00a0",
    "",
]


@pytest.mark.parametrize("text", STRINGS)
def test_a_record_is_one_line_for_every_line_splitter(text):
    line = QuarantineRecord("k", 3, "invalid_json", text.encode("utf-8")).to_json()
    assert len(line.splitlines()) == 1 and "\n" not in line
    (back,) = [
        QuarantineRecord.from_json(x) for x in quarantine_lines(gzip.compress(line.encode("utf-8")))
    ]
    assert back.raw.decode("utf-8") == text


def test_files_written_before_the_escaping_read_back():
    """Older files hold U+2028 raw inside strings: split on \\n only, they parse."""
    body = (
        '{"source_key": "k", "position": 0, "reason": "x", '
        '"raw_base64": "", "raw_text": "a\u2028b"}\n'
    )
    (line,) = quarantine_lines(gzip.compress(body.encode("utf-8")))
    assert parse_quarantine_line(line)["raw_text"] == "a\u2028b"


@pytest.mark.parametrize("line", ["not json", "[1]", '{"no": "reason"}', '{"reason": "x"'])
def test_a_line_that_is_not_a_record_is_none(line):
    assert parse_quarantine_line(line) is None
