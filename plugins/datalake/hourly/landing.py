"""The landing zone: which objects belong to an arrival-hour window, grouped into batches.

Batches bound the memory of one task (issue: 1 M events an hour on a small worker) and are
the unit of Airflow dynamic task mapping, so more workers process an hour in parallel.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from datalake.s3 import iter_keys

# Compressed bytes per batch, per stream (DATALAKE_BATCH_BYTES overrides both). The entity
# batch is validated and staged in chunks, so its memory does not grow with its size and a
# batch only has to be small enough to share an hour among workers; a workflow batch is
# validated at once and holds ~10x its size in memory.
DEFAULT_BATCH_BYTES = 8 * 1024 * 1024
ENTITY_BATCH_BYTES = 256 * 1024 * 1024
# The workers expected to share an hour (DATALAKE_PARALLEL_BATCHES): an hour with enough
# objects is cut into a multiple of this many batches, so that no worker is left idle while
# another processes a last, lone batch.
DEFAULT_PARALLEL_BATCHES = 2
# A plain (not gzip) object weighs its size divided by this in the batch budget: JSON events
# gzip about 8:1, so a batch holds about the same number of records (and needs about the same
# memory) whatever the mix. Counting a plain object at its full size made every plain 5-20 MB
# object a batch of its own, several times as many mapped tasks (each paying its start-up) as
# the memory bound requires (docs/benchmarks.md).
PLAIN_OBJECT_COMPRESSION = 8


def hour_prefix(stream: str, hour: datetime) -> str:
    hour = hour.astimezone(timezone.utc)
    return f"{stream}/{hour:%Y/%m/%d/%H}/"


def hours_in_window(start: datetime, end: datetime) -> list[datetime]:
    """Every arrival hour in [start, end), start rounded down to the hour."""
    start = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    end = end.astimezone(timezone.utc)
    hours = []
    current = start
    while current < end:
        hours.append(current)
        current += timedelta(hours=1)
    return hours


def hour_key(hour: datetime) -> str:
    """Run key and file-name stem of one arrival hour: 2026112810."""
    return hour.astimezone(timezone.utc).strftime("%Y%m%d%H")


def list_window_objects(
    client, bucket: str, stream: str, start: datetime, end: datetime
) -> list[tuple[str, int]]:
    objects: list[tuple[str, int]] = []
    for hour in hours_in_window(start, end):
        objects.extend(sorted(iter_keys(client, bucket, hour_prefix(stream, hour))))
    return objects


def batch_weight(key: str, size: int) -> int:
    """An object's share of the batch budget, in compressed bytes: a gzip object (named
    ``*.gz``, as Firehose names them; decoding still goes by the magic number) weighs its size,
    a plain one its size / PLAIN_OBJECT_COMPRESSION."""
    return size if key.endswith(".gz") else -(-size // PLAIN_OBJECT_COMPRESSION)


def plan_batches(
    objects: list[tuple[str, int]], max_bytes: int | None = None, parallel: int | None = None
) -> list[list[str]]:
    """Consecutive groups of keys of about equal weight, each one mapped task: as many as it
    takes for none to weigh more than max_bytes (compressed, see batch_weight; an object alone
    may), rounded up to a multiple of `parallel` (as far as there are objects)."""
    max_bytes = int(os.environ.get("DATALAKE_BATCH_BYTES", 0)) or max_bytes or DEFAULT_BATCH_BYTES
    if parallel is None:
        parallel = int(os.environ.get("DATALAKE_PARALLEL_BATCHES", DEFAULT_PARALLEL_BATCHES))
    parallel = max(parallel, 1)
    if not objects:
        return []
    weights = [batch_weight(key, size) for key, size in objects]
    total = sum(weights)
    needed = max(-(-total // max_bytes), 1)
    count = min(-(-needed // parallel) * parallel, len(objects))
    batches: list[list[str]] = []
    current: list[str] = []
    size = done = 0
    for (key, _), weight in zip(objects, weights, strict=False):
        # Close the batch when adding the object would overshoot it by more than leaving it
        # out undershoots (targets: equal shares of what is left), or break max_bytes.
        left = count - len(batches)
        target = (total - done) / left if left > 0 else max_bytes
        overshoot = left > 1 and size + weight - target > target - size
        if current and (overshoot or size + weight > max_bytes):
            batches.append(current)
            done += size
            current, size = [], 0
        current.append(key)
        size += weight
    batches.append(current)
    return batches


def plan_hour(
    client,
    settings,
    stream: str,
    run_key: str,
    window_start: datetime,
    window_end: datetime,
    max_bytes: int = DEFAULT_BATCH_BYTES,
) -> list[dict]:
    """Batches of one hourly run's landing objects, all under a new attempt (lake.py): the
    run's files are its own, whatever other run of the hour is going; what long-dead attempts
    of the hour left is cleared."""
    from datalake.hourly.lake import clear_stale_attempts, new_attempt
    from datalake.s3 import require_bucket

    require_bucket(client, settings.landing_bucket, "landing")
    require_bucket(client, settings.lake_bucket, "lake")
    clear_stale_attempts(client, settings.lake_bucket, stream, run_key)
    objects = list_window_objects(client, settings.landing_bucket, stream, window_start, window_end)
    attempt = new_attempt()
    # Always at least one (possibly empty) batch, so an empty hour still gets its manifest.
    batches = plan_batches(objects, max_bytes) or [[]]
    return [{"batch": i, "keys": keys, "attempt": attempt} for i, keys in enumerate(batches)]
