"""A wire-level double of Redshift's PostgreSQL protocol quirks, in front of a real PostgreSQL.

A small asyncio TCP proxy that
* reports ``client_encoding`` as ``UNICODE`` and ``server_version`` as ``8.0.2`` in the
  server's ParameterStatus messages (what Redshift sends; psycopg 3 has no codec for UNICODE
  out of the box, psycopg/psycopg#122);
* refuses named prepared statements (a Parse message with a statement name) and DEALLOCATE,
  which Redshift does not have: the statement text is swapped for one PostgreSQL rejects at
  parse time, so the client gets an ErrorResponse at exactly that message and the protocol
  stays in sync (the server itself skips to the next Sync).

Everything else passes through byte for byte. ``refused`` counts what was refused.
"""

from __future__ import annotations

import asyncio
import struct
import threading

SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102
REWRITTEN_PARAMETERS = {b"client_encoding": b"UNICODE", b"server_version": b"8.0.2"}
REFUSAL = b"REDSHIFT_WIRE_DOUBLE_REFUSES prepared statement names and DEALLOCATE"


class RedshiftWireProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.port: int | None = None
        self.refused: list[str] = []
        self.parameter_rewrites = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="redshift-wire-proxy", daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "RedshiftWireProxy":
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the Redshift wire proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    # -- protocol ----------------------------------------------------------------------------
    async def _handle(self, client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return
        one_byte_answers = asyncio.Queue()  # SSL/GSS requests are answered by a single byte
        tasks = [asyncio.ensure_future(self._client_to_server(client_reader, server_writer, one_byte_answers)),
                 asyncio.ensure_future(self._server_to_client(server_reader, client_writer, one_byte_answers))]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        for writer in (client_writer, server_writer):
            writer.close()

    async def _client_to_server(self, reader, writer, one_byte_answers):
        # Untyped startup packets first (length + code), then typed messages.
        while True:
            header = await reader.readexactly(4)
            body = await reader.readexactly(struct.unpack("!I", header)[0] - 4)
            code = struct.unpack("!I", body[:4])[0]
            writer.write(header + body)
            await writer.drain()
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                await one_byte_answers.put(True)
                continue
            await one_byte_answers.put(False)
            if code == CANCEL_REQUEST:
                return
            break
        while True:
            kind = await reader.readexactly(1)
            header = await reader.readexactly(4)
            body = await reader.readexactly(struct.unpack("!I", header)[0] - 4)
            if kind == b"P":
                body = self._parse_message(body)
            elif kind == b"Q":
                body = self._query_message(body)
            writer.write(kind + struct.pack("!I", len(body) + 4) + body)
            await writer.drain()

    def _refuses(self, sql: bytes) -> bool:
        return sql.lstrip().upper().startswith(b"DEALLOCATE")

    def _parse_message(self, body: bytes) -> bytes:
        name, rest = body.split(b"\0", 1)
        sql, params = rest.split(b"\0", 1)
        if name or self._refuses(sql):
            self.refused.append(f"Parse name={name.decode()!r} sql={sql[:60].decode(errors='replace')!r}")
            return name + b"\0" + REFUSAL + b"\0" + params
        return body

    def _query_message(self, body: bytes) -> bytes:
        sql = body.rstrip(b"\0")
        if self._refuses(sql):
            self.refused.append(f"Query {sql[:60].decode(errors='replace')!r}")
            return REFUSAL + b"\0"
        return body

    async def _server_to_client(self, reader, writer, one_byte_answers):
        while await one_byte_answers.get():
            writer.write(await reader.readexactly(1))  # 'S' / 'N' / 'G'
            await writer.drain()
        while True:
            kind = await reader.readexactly(1)
            header = await reader.readexactly(4)
            body = await reader.readexactly(struct.unpack("!I", header)[0] - 4)
            if kind == b"S":
                name, value, _ = body.split(b"\0", 2)
                if name in REWRITTEN_PARAMETERS:
                    self.parameter_rewrites += 1
                    body = name + b"\0" + REWRITTEN_PARAMETERS[name] + b"\0"
            writer.write(kind + struct.pack("!I", len(body) + 4) + body)
            await writer.drain()
