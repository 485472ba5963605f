"""
### quarantine_replay

Triggered manually. Re-reads the quarantined entity-operation records of a window of arrival
hours (params `start`, `end`), after they were fixed or the rules changed, and loads those that
now pass through the same extract → Great Expectations → one-transaction load as
`entity_operations_hourly`: **window_hours** → **replay_hour** (mapped, one hour at a time, each
its own run `replay-<hour>`). More: docs/dags.md.
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import Param, dag

from datalake.alerts import FailureNotifier
from datalake.assets import ENTITY_LOAD_OUTLETS, REPLAY_INLETS
from datalake.dag_defaults import DEFAULT_ARGS
from datalake.operators import ReplayQuarantineHourOperator, ReplayWindowOperator


@dag(
    dag_id="quarantine_replay",
    schedule=None,
    start_date=datetime(2026, 11, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "start": Param(
            type="string",
            format="date-time",
            title="Window start (UTC, inclusive)",
            default="2026-11-28T00:00:00+00:00",
        ),
        "end": Param(
            type="string",
            format="date-time",
            title="Window end (UTC, exclusive)",
            default="2026-11-28T01:00:00+00:00",
        ),
    },
    on_failure_callback=FailureNotifier(),  # one email per failed run when alerts are configured
    tags=["datalake", "entity_operations", "quarantine", "manual"],
    doc_md=__doc__,
)
def quarantine_replay():
    hours = ReplayWindowOperator(task_id="window_hours")
    ReplayQuarantineHourOperator.partial(
        task_id="replay_hour",
        max_active_tis_per_dag=1,
        inlets=REPLAY_INLETS,
        outlets=ENTITY_LOAD_OUTLETS,
    ).expand(hour=hours.output)


quarantine_replay()
