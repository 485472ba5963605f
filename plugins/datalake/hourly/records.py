"""Split a Firehose object into records without letting one broken record take its
neighbours down.

Firehose objects hold newline-delimited JSON or JSON values concatenated with no separator,
gzip-compressed or plain. We decode with ``surrogateescape`` so invalid UTF-8 survives as
lone surrogates: the record that holds them is quarantined whole (bytes restored), the rest
parse normally. After a parse error we resynchronise at the next record start
(``{"version":`` for EventBridge envelopes) and quarantine the bytes in between.

Speed: the reference splitter above decodes every record with ``json.raw_decode``. The fast
path first guesses where a record ends (the next newline in NDJSON, the next record start in
concatenated JSON) and decodes that slice with orjson (several times faster). orjson only
accepts a slice that is exactly one JSON value plus JSON whitespace, and where it accepts a
slice ``raw_decode`` yields the same value and the same end, so the result is identical; any
slice orjson refuses (a broken record, a wrong guess, ``NaN``, lone surrogates, ...) goes
through the reference path. One exception, handled by a guard: orjson turns integers outside
the 64-bit range into floats, so a slice with a run of 19 or more digits is never fast-pathed.

Unreadable objects never cost the records that can be read: gzip is decoded member
by member with zlib (Firehose concatenates members); a stream cut short or corrupt keeps the
records decoded before the damage and ends in one record with reason ``truncated_object`` /
``corrupt_gzip`` holding the decoded rest and its byte offset; an object with no record at all
is one ``empty_object`` record. A whole, valid object costs one zlib call, as before.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from typing import Iterator, NamedTuple

import orjson


class NonFiniteNumber(ValueError):
    """``NaN``, ``Infinity`` or a number past the double range (``1e999``): Python's json
    accepts them, JSON does not, and neither do the warehouse's readers (PostgreSQL's ``json``,
    Redshift's JSON functions): such a record is quarantined, never stored."""


def _reject_constant(name: str):
    raise NonFiniteNumber(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf):
        raise NonFiniteNumber(text)
    return value


# The reference decoder refuses what is not JSON; _LENIENT only finds where such a record ends.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
_LENIENT = json.JSONDecoder()
NON_FINITE = "invalid_json:non_finite_number"
# A UTF-8 byte-order mark some editors and SDKs put at the start of a file: not a record.
UTF8_BOM = b"\xef\xbb\xbf"
_WS = re.compile(r"\s*")
_ENVELOPE_START = re.compile(r'\{\s*"version"\s*:')
_ANY_OBJECT_START = re.compile(r"\{\s*\"")
_SURROGATE = re.compile("[\udc80-\udcff]")
# bytes.translate + `in` finds a run of 19 digits several times faster than the regex.
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_DIGIT_RUN = b"0" * 19
_ENVELOPE_LITERAL = '{"version":'
# Where orjson's compact output differs from json.dumps' (checked over a million random
# floats): a float with a one-digit negative exponent (orjson 1e-7, json.dumps 1e-07) and a
# float in [1e-5, 1e-4) (orjson 0.00005, json.dumps 5e-05). Both only in number tokens, which
# in compact output start right after one of ``:,[``.
_TOKEN_START = frozenset(b":,[")
_DIGITS = frozenset(b"0123456789")
_MANTISSA = frozenset(b"0123456789.-")
_JSON_WS = " \t\r\n"


class RawRecord(NamedTuple):  # made once per record: ~0.5 us less than a frozen dataclass
    position: int  # ordinal of the record within its object
    value: object | None  # the parsed JSON value, None when broken
    raw: bytes  # the record's bytes as delivered
    error: str | None  # quarantine reason when broken
    offset: int | None = None  # object-level damage only: decoded byte offset of `raw`
    object_offset: int | None = (
        None  # object-level damage only: compressed byte where reading stopped
    )


GZIP_MAGIC = b"\x1f\x8b"
TRUNCATED = "truncated_object"
CORRUPT_GZIP = "corrupt_gzip"
EMPTY_OBJECT = "empty_object"
_GZIP_WBITS = 16 + zlib.MAX_WBITS
# After the first gzip member (fed to zlib whole: one C call, one output buffer, the common
# case), members are fed in pieces: a member's unused_data (a copy of the rest of the object)
# stays small however many members there are. After a zlib error the member is fed again in
# pieces, so the output before the error is kept.
_FEED_BYTES = 256 * 1024


class Damage(NamedTuple):
    reason: str  # TRUNCATED or CORRUPT_GZIP
    object_offset: int  # compressed byte offset where reading stopped


def _gunzip_member(
    data: memoryview, out: list[bytes], whole: bool = False
) -> tuple[int, str | None]:
    """Decode the gzip member at the start of `data` into `out`: the bytes it used, and the
    damage (None, TRUNCATED, CORRUPT_GZIP)."""
    unzip = zlib.decompressobj(_GZIP_WBITS)
    if whole:
        try:
            out.append(unzip.decompress(data))
        except zlib.error:
            return _gunzip_member(data, out)
        if not unzip.eof:
            out.append(unzip.flush())
            return len(data), TRUNCATED
        return len(data) - len(unzip.unused_data), None
    used = 0
    while used < len(data) and not unzip.eof:
        piece = data[used : used + _FEED_BYTES]
        before = unzip.copy()
        try:
            out.append(unzip.decompress(piece))
        except zlib.error:
            # A failed call returns nothing: replay the piece a byte at a time from the state
            # before it (rare path), keeping the output up to the bad byte.
            return _up_to_error(before, piece, used, out), CORRUPT_GZIP
        used += len(piece) - len(unzip.unused_data)
    if not unzip.eof:
        out.append(unzip.flush())
        return used, TRUNCATED
    return used, None


def _up_to_error(unzip, piece: memoryview, used: int, out: list[bytes]) -> int:
    for at in range(len(piece)):
        try:
            out.append(unzip.decompress(piece[at : at + 1]))
        except zlib.error:
            return used + at
    return used + len(piece)


def decompress_object(body: bytes) -> tuple[bytes, Damage | None]:
    """The decoded bytes of an object and where it is damaged. gzip by magic number, not by
    file name (Firehose names do not always say); every member is read; zero bytes after the
    last member are padding (the gzip module ignores them too)."""
    if body[:2] != GZIP_MAGIC:
        return body, None
    view = memoryview(body)
    pieces: list[bytes] = []
    at = 0
    while at < len(body):
        if body[at : at + 2] != GZIP_MAGIC:
            if body[at:].strip(b"\x00"):
                return b"".join(pieces), Damage(CORRUPT_GZIP, at)
            break
        used, reason = _gunzip_member(view[at:], pieces, whole=not at)
        if reason is not None:
            return b"".join(pieces), Damage(reason, at + used)
        at += used
    return pieces[0] if len(pieces) == 1 else b"".join(pieces), None


def decompress(body: bytes) -> bytes:
    """The decoded bytes of an object as far as they can be read."""
    return decompress_object(body)[0]


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _next_start(text: str, after: int, pattern: re.Pattern) -> int:
    match = pattern.search(text, after)
    return match.start() if match else len(text)


def _looks_like_ndjson(text: str) -> bool:
    return text.count("\n", 0, 1 << 20) >= 2


def _has_long_digit_run(data: bytes) -> bool:
    return _DIGIT_RUN in data.translate(_DIGITS_AS_ZERO)


def _fast_record(piece: str) -> tuple[dict, bytes] | None:
    """The JSON object `piece` holds (one value plus JSON whitespace) and its bytes, or None
    when the reference path must decide."""
    try:
        raw = piece.rstrip(_JSON_WS).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: invalid UTF-8 in the object
        return None
    if _has_long_digit_run(raw):
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return (value, raw) if isinstance(value, dict) else None


def _invalid_record(text: str, pos: int, ordinal: int, resync: re.Pattern) -> tuple[RawRecord, int]:
    end = _next_start(text, pos + 1, resync)
    return RawRecord(ordinal, None, _raw(text[pos:end].rstrip()), "invalid_json"), end


def _reference_record(
    text: str, pos: int, ordinal: int, resync: re.Pattern
) -> tuple[RawRecord, int]:
    """The record starting at `pos` decoded with json.raw_decode, and where it ends."""
    try:
        value, end = _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError:
        return _invalid_record(text, pos, ordinal, resync)
    except NonFiniteNumber:
        try:  # JSON but for the number: where does the record end?
            _, end = _LENIENT.raw_decode(text, pos)
        except json.JSONDecodeError:
            return _invalid_record(text, pos, ordinal, resync)
        return RawRecord(ordinal, None, _raw(text[pos:end]), NON_FINITE), end
    chunk = text[pos:end]
    if _SURROGATE.search(chunk):
        return RawRecord(ordinal, None, _raw(chunk), "invalid_utf8"), end
    if not isinstance(value, dict):
        return RawRecord(ordinal, None, _raw(chunk), "not_an_object"), end
    return RawRecord(ordinal, value, _raw(chunk), None), end


def split_records(body: bytes, fast: bool = True) -> Iterator[RawRecord]:
    """The records of one landing object in order; `fast=False` is the reference path only
    (the tests check that both give the same records). A damaged gzip stream ends in one
    TRUNCATED / CORRUPT_GZIP record; an object without any record is one EMPTY_OBJECT record."""
    data, damage = decompress_object(body)
    bom = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    text = (data[bom:] if bom else data).decode("utf-8", "surrogateescape")
    if damage is None:
        empty = True
        for record in _split_text(text, fast):
            empty = False
            yield record
        if empty:
            yield RawRecord(0, None, body, EMPTY_OBJECT, 0)
        return
    # Damaged: the records up to the last one that parsed are kept as they are; what follows
    # (the record the damage cut, often only a part of one) is one record with the reason.
    spans: list[tuple[int, int]] = []
    records = list(_split_text(text, fast, spans))
    good = max((i + 1 for i, r in enumerate(records) if r.error is None), default=0)
    yield from records[:good]
    start = _WS.match(text, spans[good - 1][1]).end() if good else 0
    offset = bom + len(_raw(text[:start]))
    yield RawRecord(good, None, _raw(text[start:]), damage.reason, offset, damage.object_offset)


def _split_text(text: str, fast: bool, spans: list | None = None) -> Iterator[RawRecord]:
    """split_records over decoded text; `spans` (when given) gets each record's (start, end)."""
    # In an EventBridge stream only an envelope start is a record start: the `{"` of a nested
    # object inside a truncated record must not split it into fragments.
    resync = _ENVELOPE_START if _ENVELOPE_START.search(text) else _ANY_OBJECT_START
    ndjson = _looks_like_ndjson(text)
    size = len(text)
    pos = _WS.match(text, 0).end()
    ordinal = 0
    while pos < size:
        if fast:
            # Guess the record's end, let orjson check the guess.
            # (A guess is only a guess: str.find for the common spelling of a record start.)
            guess = text.find("\n" if ndjson else _ENVELOPE_LITERAL, pos + 1)
            guess = size if guess < 0 else guess
            hit = _fast_record(text[pos:guess])
            if hit is not None:
                if spans is not None:
                    spans.append((pos, guess))
                yield RawRecord(ordinal, hit[0], hit[1], None)
                ordinal += 1
                pos = _WS.match(text, guess).end()
                continue
        record, end = _reference_record(text, pos, ordinal, resync)
        if spans is not None:
            spans.append((pos, end))
        yield record
        ordinal += 1
        pos = _WS.match(text, end).end()


def decode_detail(event: dict, error: type[Exception]):
    """An envelope's `detail`, which EventBridge delivers as an object and some producers as a
    JSON string: the decoded value, or `error` with the quarantine reason."""
    detail = event.get("detail")
    if isinstance(detail, str):
        try:
            detail = _DECODER.decode(detail)
        except NonFiniteNumber:
            raise error("invalid_detail_json:non_finite_number") from None
        except json.JSONDecodeError:
            raise error("invalid_detail_json") from None
    if detail is None:
        raise error("missing_field:detail")
    return detail


def _spelled_apart(out: bytes) -> bool:
    """Whether orjson's output `out` has a number json.dumps spells differently. Finds the
    markers (``e-``, ``0.0000``) with bytes.find and looks at their neighbours: a regex over
    the whole text cost more than orjson's own encoding, and the ``e-`` of the UUIDs in most
    details (``...4e-8...``) is not in a number token."""
    size = len(out)
    at = out.find(b"e-")
    while at >= 0:
        end = at + 3
        if (
            at
            and out[at - 1] in _DIGITS
            and end <= size
            and out[at + 2] in _DIGITS
            and (end == size or out[end] not in _DIGITS)
            and _number_token_at(out, at - 1)
        ):
            return True
        at = out.find(b"e-", at + 2)
    at = out.find(b"0.0000")
    while at >= 0:
        if _number_token_at(out, at - 1, sign_only=True):
            return True
        at = out.find(b"0.0000", at + 6)
    return False


def _number_token_at(out: bytes, last: int, sign_only: bool = False) -> bool:
    """Whether what ends at `last` (digits, point, sign; with `sign_only` at most a minus)
    starts a number token: it follows one of ``:,[``, or the start of the text."""
    if sign_only:
        if last >= 0 and out[last] == 0x2D:  # -
            last -= 1
    else:
        while last >= 0 and out[last] in _MANTISSA:
            last -= 1
    return last < 0 or out[last] in _TOKEN_START


def compact_json_bytes(value) -> bytes:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False)`` as UTF-8, byte for
    byte, but with orjson where it writes the same bytes. It refuses lone surrogates and
    integers past 64 bits, and spells some small floats differently (_spelled_apart): those go
    through json.dumps. (No NaN gets here: both decoders refuse it.) A lone surrogate (from a
    ``\\ud800`` escape) cannot be UTF-8: UnicodeEncodeError."""
    try:
        out = orjson.dumps(value)  # big ints and float subclasses raise TypeError
    except TypeError:
        out = None
    if out is None or _spelled_apart(out):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    # A copy of exactly its length: orjson's bytes keep the capacity of its growing buffer
    # (8 KB for a 1.3 KB detail), and a chunk holds tens of thousands of them.
    return bytes(memoryview(out))


def loads_or_none(text: str):
    """The decoded JSON value of `text` (json.loads semantics), or None when it is not JSON."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        data = None
    if data is not None and not _has_long_digit_run(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    try:
        return _DECODER.decode(text)
    except ValueError:  # JSONDecodeError, NonFiniteNumber, and lone surrogates etc.
        return None
