"""The landing zone: which objects belong to an arrival-hour window, grouped into batches.

Batches bound the memory of one task (issue: 1 M events an hour on a small worker) and are
the unit of Airflow dynamic task mapping, so more workers process an hour in parallel.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from datalake.s3 import iter_keys

DEFAULT_BATCH_BYTES = 8 * 1024 * 1024  # compressed bytes per batch; ~10x that in memory
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


def single_hour_run_key(pipeline: str, window_start: datetime, window_end: datetime) -> str:
    """Run key of an hourly pipeline's data interval, which must be exactly one arrival hour."""
    hours = hours_in_window(window_start, window_end)
    if len(hours) != 1:
        raise ValueError(
            f"{pipeline} processes one arrival hour per run; got window "
            f"[{window_start.isoformat()}, {window_end.isoformat()}) of {len(hours)} hours"
        )
    return hour_key(hours[0])


def list_window_objects(client, bucket: str, stream: str, start: datetime, end: datetime) -> list[tuple[str, int]]:
    objects: list[tuple[str, int]] = []
    for hour in hours_in_window(start, end):
        objects.extend(sorted(iter_keys(client, bucket, hour_prefix(stream, hour))))
    return objects


def batch_weight(key: str, size: int) -> int:
    """An object's share of the batch budget, in compressed bytes: a gzip object (named
    ``*.gz``, as Firehose names them; decoding still goes by the magic number) weighs its size,
    a plain one its size / PLAIN_OBJECT_COMPRESSION."""
    return size if key.endswith(".gz") else -(-size // PLAIN_OBJECT_COMPRESSION)


def plan_batches(objects: list[tuple[str, int]], max_bytes: int | None = None) -> list[list[str]]:
    """Consecutive groups of keys of at most max_bytes (compressed, see batch_weight) each; an
    object alone may exceed it."""
    max_bytes = max_bytes or int(os.environ.get("DATALAKE_BATCH_BYTES", DEFAULT_BATCH_BYTES))
    batches: list[list[str]] = []
    current: list[str] = []
    size = 0
    for key, raw_size in objects:
        obj_size = batch_weight(key, raw_size)
        if current and size + obj_size > max_bytes:
            batches.append(current)
            current, size = [], 0
        current.append(key)
        size += obj_size
    if current:
        batches.append(current)
    return batches


def plan_hour(client, settings, stream: str, run_key: str, window_start: datetime, window_end: datetime) -> list[dict]:
    """Batches of one hourly run's landing objects, after clearing what an earlier try of the
    same run left (staging files, quarantine files): a retry starts clean."""
    from datalake.pipeline.lake import delete_prefix, staging_prefix
    from datalake.pipeline.quarantine import quarantine_prefix
    from datalake.s3 import require_bucket

    require_bucket(client, settings.landing_bucket, "landing")
    require_bucket(client, settings.lake_bucket, "lake")
    delete_prefix(client, settings.lake_bucket, staging_prefix(stream, run_key))
    delete_prefix(client, settings.lake_bucket, quarantine_prefix(stream, run_key))
    objects = list_window_objects(client, settings.landing_bucket, stream, window_start, window_end)
    # Always at least one (possibly empty) batch, so an empty hour still gets its manifest.
    batches = plan_batches(objects) or [[]]
    return [{"batch": i, "keys": keys} for i, keys in enumerate(batches)]
