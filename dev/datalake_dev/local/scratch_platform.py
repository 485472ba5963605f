"""A throw-away platform: moto S3 and PostgreSQL on free ports, torn down when done.

The test session's fixtures (tests/conftest.py) and the benchmark (`datalake_dev.bench`) both
start theirs from here, so that they stand on the same platform `make run` bootstraps.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from datalake_dev.local.ports import free_port
from datalake_dev.local.postgres import LocalPostgres
from datalake_dev.local.processes import stop_group
from datalake_dev.local.s3server import start_s3_server


@contextmanager
def s3_server(log_dir: Path, stop_timeout: float = 20.0) -> Iterator[str]:
    """moto in server mode on a free port (the real S3 API over HTTP); yields its endpoint URL."""
    port = free_port()
    pid = start_s3_server(port, log_dir)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(pid, timeout=stop_timeout)


@contextmanager
def postgres_server(root: Path) -> Iterator[tuple[LocalPostgres, str]]:
    """A PostgreSQL 16 cluster in `root` on a free port, bootstrapped like `make run` does;
    yields the cluster and the warehouse URI."""
    pg = LocalPostgres(root, free_port())
    try:
        pg.init()
        pg.start()
        yield pg, pg.bootstrap()
    finally:
        pg.stop()


def use_platform(s3_endpoint: str, warehouse_uri: str, landing_bucket: str, lake_bucket: str):
    """Point the status variables at the servers, create both buckets and the warehouse schema;
    returns the settings they give."""
    from datalake.config import load_settings
    from datalake.s3 import ensure_bucket, s3_client
    from datalake.warehouse_init import init_warehouse

    os.environ.update(
        {
            "S3_ENDPOINT_URL": s3_endpoint,
            "LANDING_BUCKET": landing_bucket,
            "LAKE_BUCKET": lake_bucket,
            "WAREHOUSE_URI": warehouse_uri,
        }
    )
    settings = load_settings()
    client = s3_client(settings)
    for bucket in (settings.landing_bucket, settings.lake_bucket):
        ensure_bucket(client, bucket, settings.aws_region)
    init_warehouse(settings)
    return settings


def empty_buckets(client, buckets) -> None:
    """Delete every object of the buckets."""
    from datalake.s3 import delete_keys, iter_keys

    for bucket in buckets:
        delete_keys(client, bucket, [key for key, _ in iter_keys(client, bucket, "")])
