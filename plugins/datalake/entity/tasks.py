"""What the tasks of DAG ``entity_operations_hourly`` do, callable without Airflow
(tests and the benchmark run exactly these functions)."""

from __future__ import annotations

import os
from datetime import datetime

from datalake.config import Settings
from datalake.entity import batch as entity_batch
from datalake.entity import load as entity_load
from datalake.hourly.landing import ENTITY_BATCH_BYTES, plan_hour, single_hour_run_key
# The quarantine gate is the same for every stream: `assess` is the shared one.
from datalake.hourly.thresholds import assess, max_future_skew_minutes

STREAM = entity_batch.STREAM


def run_key_for(window_start: datetime, window_end: datetime) -> str:
    return single_hour_run_key("entity_operations_hourly", window_start, window_end)


def plan(client, settings: Settings, window_start: datetime, window_end: datetime) -> list[dict]:
    """Batches of the window's landing objects; clears what an earlier try of this run left."""
    return plan_hour(client, settings, STREAM, run_key_for(window_start, window_end), window_start, window_end,
                     max_bytes=ENTITY_BATCH_BYTES)


def process(client, settings: Settings, batch: dict, window_start: datetime, window_end: datetime) -> dict:
    return entity_batch.process_entity_batch(
        client, settings, run_key_for(window_start, window_end), batch["batch"], batch["keys"],
        # "Not in the future" is judged against the end of the arrival window, so the verdict
        # does not depend on when the run (or its rerun) happens.
        now=window_end, max_future_skew_minutes=max_future_skew_minutes(), attempt=batch["attempt"],
    )


def load(client, settings: Settings, batch_counts: list[dict], window_start: datetime, window_end: datetime) -> dict:
    fail = os.environ.get("DATALAKE_INJECT_FAILURE_BEFORE_COMMIT") == run_key_for(window_start, window_end)
    return entity_load.load_entity_hour(
        client, settings, run_key_for(window_start, window_end), window_start, window_end, batch_counts,
        fail_before_commit=fail,
    )


def run_hour(client, settings: Settings, window_start: datetime, window_end: datetime) -> dict:
    """The whole hour in one process, the way the DAG chains the steps."""
    batches = plan(client, settings, window_start, window_end)
    counts = [process(client, settings, b, window_start, window_end) for b in batches]
    assess(counts)
    return load(client, settings, counts, window_start, window_end)


def discard_staging(client, settings: Settings, batch_counts: list[dict], window_start: datetime,
                    window_end: datetime) -> list[str]:
    """A validate-only run: publish the quarantine report as the hour's and remove what the
    process tasks staged for a load (this run's attempt only)."""
    from datalake.hourly.lake import discard_attempt, run_attempt
    from datalake.hourly.quarantine import publish_quarantine

    run_key = run_key_for(window_start, window_end)
    written = [c["quarantine_key"] for c in batch_counts if c.get("quarantine_key")]
    published = publish_quarantine(client, settings.lake_bucket, STREAM, run_key, written)
    discard_attempt(client, settings.lake_bucket, STREAM, run_key, run_attempt(batch_counts))
    return published
