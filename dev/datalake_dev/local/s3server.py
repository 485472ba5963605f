"""The local S3 endpoint: moto in server mode, a real S3 API over HTTP on 127.0.0.1.

moto keeps objects in memory: the landing zone and the lake start empty after `make stop`
(the warehouse, on disk, survives). `make run` seeds past hours again.
"""

from __future__ import annotations

import sys
from pathlib import Path

from datalake_dev.local.ports import wait_for_port
from datalake_dev.local.processes import spawn


def start_s3_server(port: int, log_dir: Path) -> int:
    pid = spawn(
        "s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], log_dir
    )
    wait_for_port(port, name="S3 server (moto)", timeout=60)
    return pid
