"""Progress lines of a benchmark run, and the units its sizes are given in."""

from __future__ import annotations

import time

GIB = 1024**3
MIB = 1024**2


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)
