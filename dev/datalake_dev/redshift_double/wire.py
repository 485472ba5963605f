"""PostgreSQL wire-protocol framing: read and build the few messages the double looks at.

Hand-written on purpose: the double sits between a client and a server and must pass every
byte it does not understand through unchanged, which no client or server library does.
"""

from __future__ import annotations

import struct

SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102


async def read_startup(reader) -> tuple[int, bytes]:
    """An untyped startup packet: (code, whole packet including the length)."""
    header = await reader.readexactly(4)
    body = await reader.readexactly(struct.unpack("!I", header)[0] - 4)
    return struct.unpack("!I", body[:4])[0], header + body


async def read_message(reader) -> tuple[bytes, bytes]:
    kind = await reader.readexactly(1)
    header = await reader.readexactly(4)
    return kind, await reader.readexactly(struct.unpack("!I", header)[0] - 4)


def message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


def cstring(text: str) -> bytes:
    return text.encode() + b"\0"


def error_response(text: str, code: str = "0A000", severity: str = "ERROR") -> bytes:
    fields = (
        b"S"
        + cstring(severity)
        + b"V"
        + cstring(severity)
        + b"C"
        + cstring(code)
        + b"M"
        + cstring(text)
    )
    return message(b"E", fields + b"\0")


def error_fields(body: bytes) -> dict[str, str]:
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode(errors="replace")
    return fields


def command_complete(tag: str) -> bytes:
    return message(b"C", cstring(tag))


def query(sql: str) -> bytes:
    return message(b"Q", cstring(sql))


def row_description(body: bytes) -> list[tuple[str, int]]:
    """(name, type oid) per column of a RowDescription body."""
    (count,) = struct.unpack("!H", body[:2])
    pos, columns = 2, []
    for _ in range(count):
        end = body.index(b"\0", pos)
        name = body[pos:end].decode()
        pos = end + 1
        _table, _attnum, type_oid, _size, _mod, _fmt = struct.unpack(
            "!IhIhih", body[pos : pos + 18]
        )
        pos += 18
        columns.append((name, type_oid))
    return columns


def data_row(body: bytes) -> list[str | None]:
    (count,) = struct.unpack("!H", body[:2])
    pos, values = 2, []
    for _ in range(count):
        (size,) = struct.unpack("!i", body[pos : pos + 4])
        pos += 4
        if size < 0:
            values.append(None)
        else:
            values.append(body[pos : pos + size].decode())
            pos += size
    return values


def copy_data(payload: bytes) -> bytes:
    return message(b"d", payload)


def copy_done() -> bytes:
    return message(b"c", b"")


def copy_fail(text: str) -> bytes:
    return message(b"f", cstring(text))
