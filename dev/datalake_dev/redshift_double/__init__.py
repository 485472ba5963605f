"""A local stand-in for Amazon Redshift: a wire-protocol proxy in front of a real PostgreSQL
that behaves as the Redshift documentation says where this project depends on it
(docs/redshift.md has the table: behaviour, documentation page, how it is emulated, what is
not modelled).

    double = RedshiftDouble(upstream_uri, s3_endpoint_url).start()
    psycopg.connect(double.uri("datalake_admin", "pw", "epilot_datalake").replace(...))
    double.stop()

or in the foreground: ``python -m datalake_dev.redshift_double --upstream URI --port N``.

Every client connection gets its own upstream session (the client's login is passed through:
PostgreSQL checks the password, privileges and row-level security of that user); the
statements Redshift has and PostgreSQL lacks run on that same session, so they are part of
the client's transaction. SSL is offered with a self-signed certificate for 127.0.0.1 and
localhost; ``uri()`` names it as ``sslrootcert``, so clients verify the server
(``sslmode=verify-full``, the project's default for Redshift).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from urllib.parse import quote, urlsplit

log = logging.getLogger(__name__)


class RedshiftDouble:
    def __init__(
        self,
        upstream_uri: str,
        s3_endpoint_url: str,
        host: str = "127.0.0.1",
        port: int = 0,
        serverless: bool = False,
        kms_only_buckets: tuple[str, ...] = (),
        cert_dir: str | None = None,
    ):
        parts = urlsplit(upstream_uri)
        self.upstream_uri = upstream_uri
        self.upstream_address = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.s3_endpoint_url = s3_endpoint_url
        self.host, self.port = host, port
        self.serverless = serverless
        # Buckets whose policy demands SSE-KMS: UNLOAD without ENCRYPTED AUTO is denied there.
        self.kms_only_buckets = set(kms_only_buckets)
        self.refused: list[str] = []
        self.unloads: list[dict] = []
        self.ssl_context = None
        self.cert_dir = Path(cert_dir) if cert_dir else None
        self.certificate: Path | None = None  # what clients verify the server with
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="redshift-double", daemon=True)
        self._s3 = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "RedshiftDouble":
        from datalake_dev.redshift_double import catalog, tls

        self.ssl_context, self.certificate = tls.server_context(self.cert_dir)
        catalog.install(self.upstream_uri)
        self._thread.start()
        if not self._ready.wait(15) or self._error is not None:
            raise RuntimeError(f"the Redshift double did not start: {self._error}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _shutdown(self) -> None:
        self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def serve_forever(self) -> None:
        self.start()
        self._thread.join()

    def uri(self, user: str, password: str, database: str) -> str:
        auth = f"{quote(user, safe='')}:{quote(password, safe='')}"
        return (
            f"redshift://{auth}@{self.host}:{self.port}/{database}"
            f"?sslrootcert={quote(str(self.certificate), safe='/')}"
        )

    def s3_client(self):
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3", endpoint_url=self.s3_endpoint_url)
        return self._s3

    def translate(self, sql: str) -> str:
        from datalake_dev.redshift_double import partiql
        from datalake_dev.redshift_double.dialect import to_postgres

        if partiql.uses_super(sql):
            rewritten = partiql.to_postgres(sql)
            if rewritten != sql:  # SUPER / PartiQL: the project's query translation is not for it
                return rewritten
        return to_postgres(sql)

    def _run(self) -> None:
        from datalake_dev.redshift_double.session import Session

        async def handle(reader, writer):
            await Session(self, reader, writer).run()

        try:
            self._loop = asyncio.new_event_loop()
            self._server = self._loop.run_until_complete(
                asyncio.start_server(handle, self.host, self.port)
            )
            self.port = self._server.sockets[0].getsockname()[1]
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
