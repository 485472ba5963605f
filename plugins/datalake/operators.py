"""Reusable Airflow operators over the plain pipeline functions (the ones tests and the
benchmark call): thin, connections from DatalakeHook, heavy imports inside execute().

The hourly ones take a stream (a ``datalake.hourly.stream.HourlyStream``: ENTITY_STREAM,
WORKFLOW_STREAM) and call the window step of datalake.hourly.windows with it;
``ValidateLandingWindowOperator`` is meant to be mapped over the planned batches
(``.partial(stream=...).expand(batch=...)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from datalake.hooks import DatalakeHook


def _fail(message: str):
    """A failure a retry cannot fix: the task fails at once."""
    from airflow.sdk.exceptions import AirflowFailException

    return AirflowFailException(message)


def _window(context):
    """The run's window: its data interval, or the params' manual window (validated)."""
    from datalake.hourly.windows import resolve_window

    return resolve_window(
        context.get("params"), context.get("data_interval_start"), context.get("data_interval_end")
    )


class _StreamOperator(BaseOperator):
    """An operator over one hourly stream (an HourlyStream)."""

    def __init__(self, *, stream, **kwargs):
        super().__init__(**kwargs)
        self.stream = stream


class _BatchCountsOperator(_StreamOperator):
    """An operator over the counts the mapped batches returned (an XComArg: resolved at run
    time)."""

    template_fields: Sequence[str] = ("batch_counts",)

    def __init__(self, *, batch_counts: Any, **kwargs):
        super().__init__(**kwargs)
        self.batch_counts = batch_counts


class PlanLandingWindowOperator(_StreamOperator):
    """The batches of the run's window of landing objects (data interval or params
    start/end); a window that cannot be processed fails the run without retries."""

    def execute(self, context) -> list[dict]:
        from datalake.hourly import windows

        try:
            window = _window(context)
        except windows.WindowError as exc:
            raise _fail(f"rejected window: {exc}") from None  # a retry would not help
        hook = DatalakeHook()
        return windows.plan_window(self.stream, hook.s3, hook.settings, window)


class ValidateLandingWindowOperator(_StreamOperator):
    """One planned batch of a landing window: extract, validate with the stream's suite,
    quarantine the rejects with their reasons, stage the rows. Map it over the batches."""

    template_fields: Sequence[str] = ("batch",)

    def __init__(self, *, batch: dict, **kwargs):
        super().__init__(**kwargs)
        self.batch = batch

    def execute(self, context) -> dict:
        from datalake.hourly import windows

        hook = DatalakeHook()
        return windows.process_batch(self.stream, hook.s3, hook.settings, self.batch)


class AssessWindowOperator(_BatchCountsOperator):
    """The quarantine gate over the window's batch counts, hour by hour."""

    def execute(self, context) -> dict:
        from datalake.hourly import windows

        try:
            return windows.gate_window(self.stream, list(self.batch_counts))
        except ValueError as exc:  # the gate's verdict on the same input: final at once
            raise _fail(f"quarantine gate: {exc}") from exc


class MergeStagedParquetOperator(_BatchCountsOperator):
    """Merge the Parquet the batches staged into the stream's warehouse tables by key, one
    transaction per arrival hour (or, for a validate-only run, discard it)."""

    def execute(self, context) -> list[dict]:
        from datalake.hourly import windows

        window = _window(context)  # validated as the plan task validated it (which passed)
        hook = DatalakeHook()
        return windows.load_window(
            self.stream, hook.s3, hook.settings, list(self.batch_counts), window.steps
        )


class CheckFreshnessOperator(BaseOperator):
    """Alert when earlier arrival hours of the DAG are still not loaded (datalake.freshness).
    Scheduled runs only: a manual reprocess of an old window says nothing about now."""

    def execute(self, context) -> dict:
        from datetime import datetime, timezone

        from datalake import freshness

        dag_run = context.get("dag_run")
        if getattr(dag_run, "run_type", None) != "scheduled":  # DagRunType is a str enum
            return {"skipped": "not a scheduled run"}
        with DatalakeHook().warehouse() as conn:
            return freshness.check_freshness(conn, self.dag_id, datetime.now(timezone.utc), context)


class MonthlySnapshotOperator(BaseOperator):
    """Build the monthly entity snapshot of the run's data interval
    (datalake.entity.monthly_snapshot)."""

    def execute(self, context) -> dict:
        from datalake.entity import monthly_snapshot

        hook = DatalakeHook()
        return monthly_snapshot.run_snapshot(
            hook.s3, hook.settings, context["data_interval_start"], context["data_interval_end"]
        )


class ReplayWindowOperator(BaseOperator):
    """The arrival hours of the params' window (start, end) to replay, as ISO strings; a
    window that cannot be processed fails the run without retries."""

    def execute(self, context) -> list[str]:
        from datalake.hourly import windows

        params = context["params"]
        try:
            window = windows.resolve_window(
                {"start": params["start"], "end": params["end"]}, None, None
            )
        except windows.WindowError as exc:
            raise _fail(f"rejected window: {exc}") from None
        return [hour.isoformat() for hour in window.hours]


class ReplayQuarantineHourOperator(BaseOperator):
    """Replay one arrival hour's quarantined entity records (datalake.entity.replay). Map it
    over the window's hours."""

    template_fields: Sequence[str] = ("hour",)

    def __init__(self, *, hour: str, **kwargs):
        super().__init__(**kwargs)
        self.hour = hour

    def execute(self, context) -> dict:
        from datetime import datetime

        from datalake.entity import replay

        hook = DatalakeHook()
        return replay.replay_hour(hook.s3, hook.settings, datetime.fromisoformat(self.hour))


class TypedTablesOperator(BaseOperator):
    """Refresh the organisations' typed tables (datalake.typed.refresh): the entities changed
    since the last run, or a whole organisation / entity schema when the params name one."""

    template_fields: Sequence[str] = ("organisation", "entity_schema")

    def __init__(self, *, organisation: str = "", entity_schema: str = "", **kwargs):
        super().__init__(**kwargs)
        self.organisation = organisation
        self.entity_schema = entity_schema

    def execute(self, context) -> dict:
        from datalake.typed.refresh import run_refresh

        return run_refresh(
            DatalakeHook().settings,
            org=(self.organisation or "").strip() or None,
            slug=(self.entity_schema or "").strip() or None,
        )
