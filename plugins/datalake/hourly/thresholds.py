"""The thresholds every hourly stream applies: how far in the future an event time may lie,
and the share of an hour's records the quarantine gate lets through."""

from __future__ import annotations

import os

DEFAULT_QUARANTINE_THRESHOLD = 0.05
DEFAULT_MAX_FUTURE_SKEW_MINUTES = 15


def max_future_skew_minutes() -> int:
    return int(os.environ.get("DATALAKE_MAX_FUTURE_SKEW_MINUTES", DEFAULT_MAX_FUTURE_SKEW_MINUTES))


def quarantine_threshold() -> float:
    value = os.environ.get("DATALAKE_QUARANTINE_THRESHOLD")
    if value is None:
        try:
            from airflow.sdk import Variable

            value = Variable.get("datalake_quarantine_threshold", default=None)
        except Exception:
            value = None
    return float(value) if value not in (None, "") else DEFAULT_QUARANTINE_THRESHOLD


def assess(batch_counts: list[dict], threshold: float | None = None) -> dict:
    """The quarantine gate over one hour's batch counts, at the configured threshold unless
    one is given (a stream's tasks module exports it as its `assess` step)."""
    from datalake.hourly.manifest import assess_hour

    return assess_hour(batch_counts, quarantine_threshold() if threshold is None else threshold)
