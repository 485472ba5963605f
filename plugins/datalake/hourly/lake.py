"""Parquet in the lake bucket, and the run's staging prefix. Names are derived from the run, so
a rerun overwrites its own files; rows are sorted so the same input gives the same bytes."""

from __future__ import annotations

import io

from datalake.s3 import delete_keys

STAGING_ROOT = "_staging"


def table_to_parquet_bytes(table) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=True)
    return buf.getvalue()


def put_parquet(client, bucket: str, key: str, table) -> int:
    body = table_to_parquet_bytes(table)
    client.put_object(Bucket=bucket, Key=key, Body=body)
    return len(body)


def read_parquet(client, bucket: str, key: str):
    import pyarrow.parquet as pq

    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body))


def staging_prefix(stream: str, run_key: str) -> str:
    return f"{STAGING_ROOT}/{stream}/{run_key}/"


# Runs of the same arrival hour may overlap (a scheduled run and a manual window over it, up to
# max_active_runs): each run's plan draws an *attempt* and everything its tasks write before the
# load commits lives under the attempt's own prefixes, so that no run reads, replaces or deletes
# another run's files. The staged Parquet: <attempt>/ (Redshift's COPY reads the whole prefix);
# the quarantine files until the load publishes them: <attempt>.quarantine/; where each staged
# row came from: <attempt>.sources/.
# A run that never reached its load (failed, killed) leaves its attempt behind; the next plan of
# the hour removes attempts older than this (no run lives that long: 45 min tasks, 3 retries).
STALE_ATTEMPT_HOURS = 24


def new_attempt() -> str:
    import uuid

    return uuid.uuid4().hex[:16]


def attempt_prefix(stream: str, run_key: str, attempt: str) -> str:
    return f"{staging_prefix(stream, run_key)}{attempt}/"


def attempt_quarantine_prefix(stream: str, run_key: str, attempt: str) -> str:
    return f"{staging_prefix(stream, run_key)}{attempt}.quarantine/"


def attempt_sources_prefix(stream: str, run_key: str, attempt: str) -> str:
    return f"{staging_prefix(stream, run_key)}{attempt}.sources/"


def run_attempt(batch_counts: list[dict]) -> str:
    """The attempt the batches of one hourly run were processed under (one per run)."""
    attempts = {c.get("attempt") for c in batch_counts}
    if len(attempts) != 1 or None in attempts:
        raise ValueError(
            f"the batches of one run must share one attempt, got {sorted(map(str, attempts))}"
        )
    return attempts.pop()


def discard_attempt(client, bucket: str, stream: str, run_key: str, attempt: str) -> int:
    """Delete one attempt's files (its staged Parquet and unpublished quarantine files) only."""
    return delete_prefix(client, bucket, f"{staging_prefix(stream, run_key)}{attempt}")


def clear_stale_attempts(client, bucket: str, stream: str, run_key: str, now=None) -> int:
    """Delete what attempts of the hour older than STALE_ATTEMPT_HOURS left (and files of the
    layout before attempts): never the files of a run that may still be going."""
    from datetime import datetime, timedelta, timezone

    cutoff = (now or datetime.now(timezone.utc)) - timedelta(hours=STALE_ATTEMPT_HOURS)
    paginator = client.get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=bucket, Prefix=staging_prefix(stream, run_key))
    stale = [
        obj["Key"]
        for page in pages
        for obj in page.get("Contents", [])
        if obj["LastModified"] < cutoff
    ]
    return delete_keys(client, bucket, stale)


def delete_prefix(client, bucket: str, prefix: str) -> int:
    from datalake.s3 import iter_keys

    return delete_keys(client, bucket, [key for key, _ in iter_keys(client, bucket, prefix)])
