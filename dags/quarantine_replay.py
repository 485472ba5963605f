"""
### quarantine_replay

Triggered manually. Re-reads the quarantined entity-operation records of a window of arrival
hours (`s3://<lake>/quarantine/entity_operations/<hour>/`), after they were fixed (edit
`raw_text` in the quarantine file) or the rules changed, and loads those that now pass
through the same extract → Great Expectations → one-transaction load as
`entity_operations_hourly`.

Each hour is its own run `replay-<hour>` with its own manifest
(`manifests/entity_operations/replay-<hour>.json`): re-read = loaded + duplicates + still
quarantined. Records that still fail go to `quarantine/entity_operations/replay-<hour>/`.
Replaying an hour again replaces its own rows; nothing doubles.

Params: `start`, `end` (UTC, whole hours, end exclusive, at most `DATALAKE_MAX_WINDOW_HOURS`).
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import Param, dag, task

from datalake.alerts import FailureNotifier
from datalake.assets import ENTITY_LOAD_OUTLETS, REPLAY_INLETS
from datalake.hourly_dag import DEFAULT_ARGS


@dag(
    dag_id="quarantine_replay",
    schedule=None,
    start_date=datetime(2026, 11, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["datalake", "entity_operations", "quarantine", "manual"],
    on_failure_callback=FailureNotifier(),  # one email per failed run when alerts are configured
    default_args=DEFAULT_ARGS,
    params={
        "start": Param(type="string", format="date-time", title="Window start (UTC, inclusive)",
                       default="2026-11-28T00:00:00+00:00"),
        "end": Param(type="string", format="date-time", title="Window end (UTC, exclusive)",
                     default="2026-11-28T01:00:00+00:00"),
    },
)
def quarantine_replay():
    @task
    def window_hours(params=None) -> list[str]:
        from airflow.sdk.exceptions import AirflowFailException

        from datalake.hourly import windows

        try:
            window = windows.resolve_window({"start": params["start"], "end": params["end"]}, None, None)
        except windows.WindowError as exc:
            raise AirflowFailException(f"rejected window: {exc}") from None
        return [hour.isoformat() for hour in window.hours]

    @task(max_active_tis_per_dag=1, inlets=REPLAY_INLETS, outlets=ENTITY_LOAD_OUTLETS)
    def replay_hour(hour: str) -> dict:
        from datalake.entity import replay
        from datalake.hooks import DatalakeHook

        hook = DatalakeHook()
        return replay.replay_hour(hook.s3, hook.settings, datetime.fromisoformat(hour))

    replay_hour.expand(hour=window_hours())


quarantine_replay()
