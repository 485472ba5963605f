"""Split a Firehose object into records without letting one broken record take its
neighbours down.

Firehose objects hold newline-delimited JSON or JSON values concatenated with no separator,
gzip-compressed or plain. We decode with ``surrogateescape`` so invalid UTF-8 survives as
lone surrogates: the record that holds them is quarantined whole (bytes restored), the rest
parse normally. After a parse error we resynchronise at the next record start
(``{"version":`` for EventBridge envelopes) and quarantine the bytes in between.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from typing import Iterator

_DECODER = json.JSONDecoder()
_WS = re.compile(r"\s*")
_ENVELOPE_START = re.compile(r'\{\s*"version"\s*:')
_ANY_OBJECT_START = re.compile(r"\{\s*\"")
_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class RawRecord:
    position: int           # ordinal of the record within its object
    value: object | None    # the parsed JSON value, None when broken
    raw: bytes              # the record's bytes as delivered
    error: str | None       # quarantine reason when broken


def decompress(body: bytes) -> bytes:
    """gzip by magic number, not by file name: Firehose names do not always say."""
    if body[:2] == b"\x1f\x8b":
        return gzip.decompress(body)
    return body


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _next_start(text: str, after: int, pattern: re.Pattern) -> int:
    match = pattern.search(text, after)
    return match.start() if match else len(text)


def split_records(body: bytes) -> Iterator[RawRecord]:
    text = decompress(body).decode("utf-8", "surrogateescape")
    # In an EventBridge stream only an envelope start is a record start: the `{"` of a nested
    # object inside a truncated record must not split it into fragments.
    resync = _ENVELOPE_START if _ENVELOPE_START.search(text) else _ANY_OBJECT_START
    pos = _WS.match(text, 0).end()
    ordinal = 0
    while pos < len(text):
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError:
            end = _next_start(text, pos + 1, resync)
            yield RawRecord(ordinal, None, _raw(text[pos:end].rstrip()), "invalid_json")
        else:
            chunk = text[pos:end]
            if _SURROGATE.search(chunk):
                yield RawRecord(ordinal, None, _raw(chunk), "invalid_utf8")
            elif not isinstance(value, dict):
                yield RawRecord(ordinal, None, _raw(chunk), "not_an_object")
            else:
                yield RawRecord(ordinal, value, _raw(chunk), None)
        ordinal += 1
        pos = _WS.match(text, end).end()


def decode_detail(event: dict, error: type[Exception]):
    """An envelope's `detail`, which EventBridge delivers as an object and some producers as a
    JSON string (SPEC §1): the decoded value, or `error` with the quarantine reason."""
    detail = event.get("detail")
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except json.JSONDecodeError:
            raise error("invalid_detail_json") from None
    if detail is None:
        raise error("missing_field:detail")
    return detail
