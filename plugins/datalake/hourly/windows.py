"""A DAG run's window, as hours: the scheduled data interval, or a validated manual window.

The hourly pipelines are keyed by arrival hour (run keys, file names, manifests, event
ownership), so a window of several hours is processed as that many hourly runs inside one
DAG run: batches carry their hour, the assessment and the load go hour by hour, each load in
its own transaction.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from datalake.dag_params import DEFAULT_MAX_WINDOW_HOURS, STEPS
from datalake.hourly.landing import hours_in_window
from datalake.hourly.stream import Hour

if TYPE_CHECKING:
    from datalake.hourly.stream import HourlyStream

HOUR = timedelta(hours=1)


class WindowError(ValueError):
    """The requested window is not acceptable; nothing was processed."""


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    steps: tuple[str, ...] = STEPS

    @property
    def hours(self) -> list[datetime]:
        return hours_in_window(self.start, self.end)


def _parse(name: str, value) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise WindowError(f"param {name}={value!r} is not an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def max_window_hours() -> int:
    return int(os.environ.get("DATALAKE_MAX_WINDOW_HOURS", DEFAULT_MAX_WINDOW_HOURS))


def resolve_window(
    params: dict | None, interval_start: datetime | None, interval_end: datetime | None
) -> Window:
    params = params or {}
    steps = tuple(params.get("steps") or STEPS)
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        raise WindowError(f"unknown steps {unknown}; choose from {list(STEPS)}")
    start, end = params.get("start"), params.get("end")
    if (start is None) != (end is None):
        raise WindowError(
            "give both params start and end, or neither (the run's data interval is used)"
        )
    if start is None:
        if interval_start is None or interval_end is None:
            raise WindowError("this run has no data interval: trigger it with params start and end")
        return Window(
            _parse("data_interval_start", interval_start),
            _parse("data_interval_end", interval_end),
            steps,
        )
    start, end = _parse("start", start), _parse("end", end)
    if (
        start.minute
        or start.second
        or start.microsecond
        or end.minute
        or end.second
        or end.microsecond
    ):
        raise WindowError(
            f"the window must be whole arrival hours, got [{start.isoformat()}, {end.isoformat()})"
        )
    if end <= start:
        raise WindowError(f"end {end.isoformat()} is not after start {start.isoformat()}")
    hours = int((end - start) / HOUR)
    if hours > max_window_hours():
        raise WindowError(
            f"the window has {hours} hours, over the maximum of {max_window_hours()} "
            f"(DATALAKE_MAX_WINDOW_HOURS); split it or use a backfill"
        )
    return Window(start, end, steps)


def plan_window(stream: HourlyStream, client, settings, window: Window) -> list[dict]:
    """The batches of every hour of the window, each carrying its Hour (run key included)."""
    planned = []
    for start in window.hours:
        hour = Hour.of(start)
        for batch in stream.plan(client, settings, hour):
            planned.append({**batch, "hour": hour.to_xcom()})
    return planned


def process_batch(stream: HourlyStream, client, settings, batch: dict) -> dict:
    counts = stream.process(client, settings, Hour.from_xcom(batch["hour"]), batch)
    return {**counts, "hour": batch["hour"]}


def _by_hour(counts: list[dict]) -> list[tuple[Hour, list[dict]]]:
    grouped: dict[str, list[dict]] = {}
    for item in counts:
        grouped.setdefault(item["hour"]["start"], []).append(item)
    return [(Hour.from_xcom(group[0]["hour"]), group) for _, group in sorted(grouped.items())]


def gate_window(stream: HourlyStream, counts: list[dict]) -> dict:
    """Every hour is assessed; the first that looks wrong fails the run, naming the hour."""
    results = {}
    for hour, group in _by_hour(counts):
        try:
            results[hour.start.isoformat()] = stream.gate(group)
        except ValueError as exc:
            raise type(exc)(f"arrival hour {hour.start.isoformat()}: {exc}") from exc
    return results


def load_window(
    stream: HourlyStream, client, settings, counts: list[dict], steps=STEPS
) -> list[dict]:
    from datalake.hourly.lake import run_attempt
    from datalake.validation.data_docs import publish_loaded_hour

    if "load" not in steps:
        # A validate-only run writes the quarantine report and nothing else: the staged Parquet
        # the process tasks wrote for the load is removed here.
        for hour, group in _by_hour(counts):
            discard_validated_hour(client, settings.lake_bucket, stream.name, hour.run_key, group)
        return []
    manifests = []
    for hour, group in _by_hour(counts):
        manifests.append(stream.load(client, settings, hour, group))
        attempt = run_attempt(group)
        publish_loaded_hour(client, settings.lake_bucket, stream.name, hour.run_key, attempt, group)
    return manifests


def discard_validated_hour(
    client, bucket: str, stream: str, run_key: str, counts: list[dict]
) -> list[str]:
    """A validate-only run of one hour: publish its quarantine report as the hour's and remove
    what the process tasks staged for a load (this run's attempt only)."""
    from datalake.hourly.lake import discard_attempt, run_attempt
    from datalake.hourly.quarantine import publish_quarantine

    written = [c["quarantine_key"] for c in counts if c.get("quarantine_key")]
    published = publish_quarantine(client, bucket, stream, run_key, written)
    discard_attempt(client, bucket, stream, run_key, run_attempt(counts))
    return published
