"""The benchmark's private platform and what it measures of PostgreSQL while a step runs."""

from __future__ import annotations

import os
import threading
from contextlib import ExitStack
from pathlib import Path


class Platform:
    """A private moto S3 server and PostgreSQL on free ports in a temp dir (`scratch_platform`)."""

    def __init__(self, root: Path):
        self.root = root

    def __enter__(self):
        from datalake_dev.local.scratch_platform import postgres_server, s3_server, use_platform

        self._servers = ExitStack()
        try:
            s3_endpoint = self._servers.enter_context(s3_server(self.root / "logs", stop_timeout=3))
            self.pg, uri = self._servers.enter_context(postgres_server(self.root / "postgres"))
            # No Airflow runs here: its URL leads nowhere, its home and the state file stay in the
            # temp dir.
            os.environ.update(
                {
                    "AIRFLOW_URL": "http://127.0.0.1:1",
                    "DATALAKE_STATE_DIR": str(self.root / "state"),
                    "AIRFLOW_HOME": str(self.root / "airflow"),
                    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                    "GX_ANALYTICS_ENABLED": "False",
                }
            )
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
            os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
            from datalake.s3 import s3_client

            self.settings = use_platform(
                s3_endpoint, uri, landing_bucket="bench-landing", lake_bucket="bench-lake"
            )
            self.client = s3_client(self.settings)
        except BaseException:
            self._servers.close()
            raise
        return self

    def __exit__(self, *exc):
        self._servers.close()
        return False

    def connect(self):
        import psycopg

        from datalake.warehouse import psycopg_uri

        return psycopg.connect(psycopg_uri(self.settings.warehouse_uri))

    def reset(self) -> None:
        """Empty buckets and every warehouse table."""
        from datalake_dev.local.scratch_platform import empty_buckets

        empty_buckets(self.client, (self.settings.landing_bucket, self.settings.lake_bucket))
        with self.connect() as conn:
            tables = conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema IN ('epilot_datalake', 'datalake_ops', 'bench_floor') "
                "AND table_type = 'BASE TABLE'"
            ).fetchall()
            if tables:
                conn.execute("TRUNCATE " + ", ".join(f'"{s}"."{t}"' for s, t in tables))
            conn.commit()
        with self._superuser() as conn:
            conn.execute("CHECKPOINT")
            conn.execute("VACUUM ANALYZE")

    def settle(self) -> None:
        """VACUUM ANALYZE every table: the state autovacuum brings a warehouse to between two
        hourly runs, rather than its work on freshly built tables during the next timed step."""
        with self._superuser() as conn:
            conn.execute("VACUUM ANALYZE")

    def checkpoint(self) -> None:
        """Write every dirty page out now, so that the step timed next does not pay for the
        writes of the one before (a checkpoint that falls inside a step slows it by seconds)."""
        with self._superuser() as conn:
            conn.execute("CHECKPOINT")

    def _superuser(self):
        """An autocommit connection of the warehouse's superuser (CHECKPOINT, VACUUM)."""
        import psycopg

        from datalake.config import WAREHOUSE_DATABASE

        return psycopg.connect(self.pg.superuser_conninfo(WAREHOUSE_DATABASE), autocommit=True)

    def postgres_processes(self):
        import psutil

        pid = self.pg.pid()
        if not pid:
            return []
        try:
            main = psutil.Process(pid)
            return [main, *main.children(recursive=True)]
        except psutil.Error:
            return []


class RssSampler:
    """Peak RSS of PostgreSQL's processes while a step runs (sampled every 0.2 s).

    A backend's RSS counts the shared buffers it has touched (shared_buffers = 256 MB)."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self.max_backend = 0
        self.max_total = 0
        self._stop = threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        import psutil

        while not self._stop.is_set():
            rss = []
            for proc in self.platform.postgres_processes():
                try:
                    rss.append(proc.memory_info().rss)
                except psutil.Error:
                    pass
            if rss:
                self.max_backend = max(self.max_backend, max(rss))
                self.max_total = max(self.max_total, sum(rss))
            self._stop.wait(0.2)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False
