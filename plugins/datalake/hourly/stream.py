"""An hourly stream as its DAG runs it, and the arrival hour its steps work on.

plan (the hour's landing objects, in batches) -> process (one batch: extract, validate with the
stream's suite, quarantine, stage; mapped) -> gate (the quarantine gate over the hour) -> load
(merge the staged Parquet into the warehouse, one transaction).

A stream (datalake.entity.stream.ENTITY_STREAM, datalake.workflow.stream.WORKFLOW_STREAM) is a
plain value: its names and its four step functions. Light: DAG files import the streams while
they parse, so the step functions' modules import their heavy libraries inside the functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from datalake.hourly.landing import hour_key

ONE_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Hour:
    """One arrival hour [start, end) and its run key (file names, manifests, event ownership).
    Made once when a window is planned; travels between the tasks as ``to_xcom()``."""

    start: datetime
    end: datetime
    run_key: str

    @classmethod
    def of(cls, start: datetime) -> Hour:
        return cls(start, start + ONE_HOUR, hour_key(start))

    def to_xcom(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "run_key": self.run_key,
        }

    @classmethod
    def from_xcom(cls, value: dict) -> Hour:
        return cls(
            datetime.fromisoformat(value["start"]),
            datetime.fromisoformat(value["end"]),
            value["run_key"],
        )


@dataclass(frozen=True, repr=False)
class HourlyStream:
    """One hourly pipeline: where its data lives and the functions its tasks call."""

    dag_id: str
    name: str  # its landing prefix, and its name under the lake's staging, quarantine and manifests
    lake_prefix: str  # where its curated data lives in the lake bucket
    sql_folder: str  # its statements under include/sql/
    suite: Callable[..., Any]  # validates a batch's rows with its Great Expectations suite
    plan: Callable[[Any, Any, Hour], list[dict]]  # (s3, settings, hour) -> batches
    process: Callable[[Any, Any, Hour, dict], dict]  # (s3, settings, hour, batch) -> counts
    gate: Callable[
        ..., dict
    ]  # (one hour's batch counts[, threshold]) -> verdict; raises ValueError
    load: Callable[[Any, Any, Hour, list[dict]], dict]  # (s3, settings, hour, counts) -> manifest

    def run_hour(self, client, settings, start: datetime, threshold: float | None = None) -> dict:
        """One arrival hour in one process, the steps chained the way the DAG chains them
        (tests and the benchmark)."""
        hour = Hour.of(start)
        counts = [
            self.process(client, settings, hour, batch)
            for batch in self.plan(client, settings, hour)
        ]
        self.gate(counts, threshold)
        return self.load(client, settings, hour, counts)

    def __repr__(self) -> str:  # shown for the operators' `stream` argument in the UI
        return f"HourlyStream({self.name!r})"
