"""One client connection: the client's messages go to its own upstream PostgreSQL session,
and the statements the double runs itself (COPY from S3, UNLOAD, RLS, ...) run there too, so
they are part of the client's transaction.

While the double runs something itself it "captures" the upstream's answers instead of
forwarding them, then answers the client as Redshift would.
"""

from __future__ import annotations

import asyncio
import logging

from datalake_dev.redshift_double import wire
from datalake_dev.redshift_double.statements import Refused, check, kind, rewrite, split, tokenize

log = logging.getLogger(__name__)

REWRITTEN_PARAMETERS = {b"client_encoding": b"UNICODE", b"server_version": b"8.0.2"}
# Sent upstream in place of a refused statement: PostgreSQL rejects it at parse time (the
# transaction is aborted as Redshift's would be, the protocol stays in sync) and the double
# replaces the syntax error with its own message.
REFUSAL_MARKER = "REDSHIFT_DOUBLE_REFUSES"


# Redshift's drivers send startup parameters of their own (client_protocol_version,
# driver_version, os_version, plugin_name, driver_discovery_version, ...) that Redshift
# accepts and PostgreSQL refuses the login for: only these standard ones are passed on.
# Without an answer to client_protocol_version the driver stays on the base protocol,
# which is PostgreSQL's.
STARTUP_PASSED = {
    b"user",
    b"database",
    b"options",
    b"application_name",
    b"client_encoding",
    b"datestyle",
    b"timezone",
    b"extra_float_digits",
    b"search_path",
    b"intervalstyle",
    b"replication",
}


def _startup_for_postgres(packet: bytes) -> bytes:
    import struct

    parts = packet[8:].split(b"\0")
    pairs = [(k, v) for k, v in zip(parts[::2], parts[1::2], strict=False) if k]
    body = (
        packet[4:8]
        + b"".join(k + b"\0" + v + b"\0" for k, v in pairs if k.lower() in STARTUP_PASSED)
        + b"\0"
    )
    return struct.pack("!I", len(body) + 4) + body


def _check_parameter_types(statement, params: bytes) -> None:
    """An untyped parameter ($n sent with type 0, as psycopg sends Python str) in the select
    list of INSERT ... SELECT: PostgreSQL infers text, Redshift is not documented to infer it
    there, so the double refuses it (an assumption of the double, listed in docs/redshift.md)."""
    import re
    import struct

    if statement.words[:1] != ["INSERT"] or "SELECT" not in statement.words:
        return
    (count,) = struct.unpack("!H", params[:2])
    oids = struct.unpack(f"!{count}I", params[2 : 2 + 4 * count]) if count else ()
    select = re.search(r"\bSELECT\b(.*?)(\bFROM\b|$)", statement.sql, re.IGNORECASE | re.DOTALL)
    for match in re.finditer(r"\$(\d+)(?!\s*::)", select.group(1) if select else ""):
        before = select.group(1)[: match.start()].rstrip().upper()
        number = int(match.group(1))
        if before.endswith("CAST(") or (number <= len(oids) and oids[number - 1] != 0):
            continue
        raise Refused(
            f"could not determine data type of parameter ${number}: cast it in INSERT ... SELECT "
            f"(the double does not assume Redshift infers it)"
        )


class UpstreamError(Exception):
    def __init__(self, fields: dict):
        super().__init__(fields.get("M", "error"))
        self.fields = fields


class Session:
    def __init__(self, double, client_reader, client_writer):
        self.double = double
        self.client_reader, self.client_writer = client_reader, client_writer
        self.upstream_reader = self.upstream_writer = None
        self.capture: asyncio.Queue | None = None
        self.pending_refusals: list[str] = []
        self.user = ""
        self.database = ""
        self.transaction_status = b"I"
        self.sees_all_metadata: bool | None = None  # metadata security: asked at first message

    # -- plumbing ---------------------------------------------------------------------------
    def to_client(self, data: bytes) -> None:
        self.client_writer.write(data)

    def to_upstream(self, data: bytes) -> None:
        self.upstream_writer.write(data)

    async def run(self) -> None:
        try:
            if not await self._startup():
                return
            tasks = [
                asyncio.ensure_future(self._client_loop()),
                asyncio.ensure_future(self._upstream_loop()),
            ]
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            for task in done:
                if task.exception() and not isinstance(
                    task.exception(), (asyncio.IncompleteReadError, ConnectionError)
                ):
                    log.error("redshift double session failed", exc_info=task.exception())
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for writer in (self.client_writer, self.upstream_writer):
                if writer is not None:
                    writer.close()

    async def _startup(self) -> bool:
        while True:
            code, packet = await wire.read_startup(self.client_reader)
            if code == wire.SSL_REQUEST:
                if self.double.ssl_context is None:
                    self.to_client(b"N")
                else:
                    self.to_client(b"S")
                    await self.client_writer.drain()
                    await self.client_writer.start_tls(self.double.ssl_context)
                continue
            if code == wire.GSSENC_REQUEST:
                self.to_client(b"N")
                continue
            self.upstream_reader, self.upstream_writer = await asyncio.open_connection(
                *self.double.upstream_address
            )
            if code != wire.CANCEL_REQUEST:
                packet = _startup_for_postgres(packet)
            self.to_upstream(packet)
            await self.upstream_writer.drain()
            if code == wire.CANCEL_REQUEST:
                return False
            params = packet[8:].split(b"\0")
            pairs = dict(zip(params[::2], params[1::2], strict=False))
            self.user = pairs.get(b"user", b"").decode()
            self.database = pairs.get(b"database", self.user.encode()).decode()
            return True

    async def _upstream_loop(self) -> None:
        while True:
            kind_, body = await wire.read_message(self.upstream_reader)
            if kind_ == b"S":
                name, _value, _ = body.split(b"\0", 2)
                if name in REWRITTEN_PARAMETERS:
                    body = name + b"\0" + REWRITTEN_PARAMETERS[name] + b"\0"
            if kind_ == b"Z":
                self.transaction_status = body[:1]
            if self.capture is not None:
                self.capture.put_nowait((kind_, body))
                continue
            if (
                kind_ == b"E"
                and self.pending_refusals
                and REFUSAL_MARKER in body.decode(errors="replace")
            ):
                self.to_client(wire.error_response(self.pending_refusals.pop(0)))
            else:
                self.to_client(wire.message(kind_, body))
            if kind_ in (b"Z", b"G", b"H", b"W", b"R"):  # wait points: the client may be waiting
                await self.client_writer.drain()

    async def _client_loop(self) -> None:
        while True:
            kind_, body = await wire.read_message(self.client_reader)
            if self.sees_all_metadata is None:  # once per session: the setting is cluster-wide
                from datalake_dev.redshift_double import metadata

                self.sees_all_metadata = await asyncio.to_thread(
                    metadata.sees_all, self.double, self.user
                )
            if kind_ == b"Q":
                await self._on_query(body.rstrip(b"\0").decode())
            elif kind_ == b"P":
                self.to_upstream(wire.message(b"P", self._on_parse(body)))
            else:
                self.to_upstream(wire.message(kind_, body))
                if kind_ == b"X":
                    await self.upstream_writer.drain()
                    return
            await self.upstream_writer.drain()
            await self.client_writer.drain()

    # -- the extended protocol: rewrite or refuse in the Parse message ------------------------
    def _on_parse(self, body: bytes) -> bytes:
        name, rest = body.split(b"\0", 1)
        sql, params = rest.split(b"\0", 1)
        text = self._catalog_view(sql.decode())
        try:
            # Named statements are fine: Redshift's own drivers (redshift_connector) cache them
            # and close them with the protocol's Close message. What Redshift lacks is the SQL
            # DEALLOCATE ALL that psycopg sends to reset its cache (statements.check).
            statement = tokenize(text)
            check(statement, self.double.serverless)
            if kind(statement) != "sql":
                raise Refused(
                    f"{statement.word(0)} ... is run by the Redshift double through the simple "
                    f"query protocol only (no parameters)"
                )
            _check_parameter_types(statement, params)
            text = self.double.translate(rewrite(statement, self.double.serverless))
        except Refused as refusal:
            self.double.refused.append(f"Parse name={name.decode()!r} sql={text[:60]!r}: {refusal}")
            self.pending_refusals.append(str(refusal))
            text = REFUSAL_MARKER
        return name + b"\0" + text.encode() + b"\0" + params

    # -- the simple protocol: statement by statement ----------------------------------------
    def _catalog_view(self, sql: str) -> str:
        """With metadata security on, what this user may see of the catalog (metadata.py)."""
        if self.sees_all_metadata is not False:
            return sql
        from datalake_dev.redshift_double import metadata

        return metadata.filtered(sql)

    async def _on_query(self, sql: str) -> None:
        sql = self._catalog_view(sql)
        parts = split(sql) or [sql]
        statements = [tokenize(part) for part in parts]
        plain = True
        for statement in statements:
            try:
                check(statement, self.double.serverless)
            except Refused:
                plain = False
                break
            if (
                kind(statement) != "sql"
                or rewrite(statement, self.double.serverless) != statement.sql
                or self.double.translate(statement.sql) != statement.sql
            ):
                plain = False
        if plain:
            self.to_upstream(wire.query(sql))
            return
        # One statement at a time; stop at the first error, as PostgreSQL does.
        for statement in statements:
            if not await self._one_statement(statement):
                break
        self.to_client(wire.message(b"Z", self.transaction_status))

    async def _one_statement(self, statement) -> bool:
        """Run one statement and answer the client (all but ReadyForQuery); False on error."""
        from datalake_dev.redshift_double import commands

        try:
            check(statement, self.double.serverless)
            what = kind(statement)
            if what == "sql":
                sql = self.double.translate(rewrite(statement, self.double.serverless))
                return self._forward(await self.upstream(sql))
            # The hand-read grammars start at the statement's first word: comments go first.
            import sqlparse

            statement = tokenize(sqlparse.format(statement.sql, strip_comments=True).strip())
            tag = await commands.run(self, what, statement)
            self.to_client(wire.command_complete(tag))
            return True
        except Refused as refusal:
            self.double.refused.append(f"Query {statement.sql[:60]!r}: {refusal}")
            await self.fail_upstream(str(refusal))
            return False
        except UpstreamError as exc:
            self.to_client(
                wire.message(
                    b"E",
                    b"".join(k.encode() + wire.cstring(v) for k, v in exc.fields.items()) + b"\0",
                )
            )
            return False
        except Exception as exc:  # a defect of the double: the client gets it as an error
            log.exception("the Redshift double failed on %r", statement.sql[:200])
            await self.fail_upstream(
                f"internal error of the Redshift double: {exc!r}", code="XX000"
            )
            return False

    def _forward(self, messages) -> bool:
        ok = True
        for kind_, body in messages:
            if kind_ == b"Z":
                continue
            if kind_ == b"E":
                ok = False
            self.to_client(wire.message(kind_, body))
        return ok

    async def fail_upstream(self, text: str, code: str = "0A000") -> None:
        """Abort the upstream transaction (as the failed statement would on Redshift) and send
        the client the double's error."""
        await self.upstream(REFUSAL_MARKER)
        self.to_client(wire.error_response(text, code=code))

    async def upstream(self, sql: str) -> list[tuple[bytes, bytes]]:
        """Run sql on the client's upstream session; every answer up to ReadyForQuery."""
        self.capture = asyncio.Queue()
        try:
            self.to_upstream(wire.query(sql))
            await self.upstream_writer.drain()
            messages = []
            while True:
                kind_, body = await self.capture.get()
                messages.append((kind_, body))
                if kind_ == b"Z":
                    return messages
        finally:
            self.capture = None

    async def rows(self, sql: str) -> tuple[list[tuple[str, int]], list[list[str | None]], str]:
        """(columns, text rows, command tag) of sql on the client's session; UpstreamError on
        error."""
        columns, rows, tag = [], [], ""
        for kind_, body in await self.upstream(sql):
            if kind_ == b"T":
                columns = wire.row_description(body)
            elif kind_ == b"D":
                rows.append(wire.data_row(body))
            elif kind_ == b"C":
                tag = body.rstrip(b"\0").decode()
            elif kind_ == b"E":
                raise UpstreamError(wire.error_fields(body))
        return columns, rows, tag

    async def copy_in(self, copy_sql: str, chunks) -> str:
        """COPY ... FROM STDIN on the client's session, fed from chunks (text format payloads);
        an exception while producing them ends the COPY with CopyFail and is raised again."""
        self.capture = asyncio.Queue()
        try:
            self.to_upstream(wire.query(copy_sql))
            await self.upstream_writer.drain()
            messages = []
            while True:
                kind_, body = await self.capture.get()
                messages.append((kind_, body))
                if kind_ in (b"G", b"Z"):
                    break
            if messages[-1][0] == b"G":
                failure = None
                try:
                    for chunk in chunks:
                        self.to_upstream(wire.copy_data(chunk))
                        await self.upstream_writer.drain()
                except Exception as exc:  # the COPY fails whole: CopyFail rolls it back upstream
                    failure = exc
                self.to_upstream(wire.copy_fail(str(failure)) if failure else wire.copy_done())
                await self.upstream_writer.drain()
                while True:
                    kind_, body = await self.capture.get()
                    messages.append((kind_, body))
                    if kind_ == b"Z":
                        break
                if failure is not None:
                    raise failure
        finally:
            self.capture = None
        for kind_, body in messages:
            if kind_ == b"E":
                raise UpstreamError(wire.error_fields(body))
        return next(body.rstrip(b"\0").decode() for kind_, body in messages if kind_ == b"C")
