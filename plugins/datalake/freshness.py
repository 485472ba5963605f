"""Freshness: an arrival hour that has not loaded `grace` minutes after it closed (default 45)
raises an alert (alerts.send_alert). "Loaded" means its manifest row in
datalake_ops.run_manifest, written in the load's transaction: the check looks at the data,
so it also catches hours that never got a run (a paused DAG with catchup=False, a lost run).

Checked by each scheduled run of an hourly DAG (task check_freshness), over the last
`lookback` hours (default 24) but not before the pipeline's first loaded hour. Airflow 3.3's
Deadline Alerts were considered (docs/design.md "Failures and alerts"): they time a DAG run,
not an arrival hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from datalake.alerts import send_alert, setting
from datalake.hourly.landing import hour_key, hours_in_window

DEFAULT_GRACE_MINUTES = 45
DEFAULT_LOOKBACK_HOURS = 24


def grace_minutes() -> int:
    return int(
        setting(
            "datalake_freshness_minutes", "DATALAKE_FRESHNESS_MINUTES", str(DEFAULT_GRACE_MINUTES)
        )
    )


def lookback_hours() -> int:
    return int(
        setting(
            "datalake_freshness_lookback_hours",
            "DATALAKE_FRESHNESS_LOOKBACK_HOURS",
            str(DEFAULT_LOOKBACK_HOURS),
        )
    )


def _rows(conn, relative: str, params: dict) -> list[tuple]:
    from datalake.sqlfiles import read_sql

    return conn.execute(read_sql(relative), params).fetchall()


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def late_hours(conn, pipeline: str, now: datetime, grace: int, lookback: int) -> list[datetime]:
    """Arrival hours that closed at least `grace` minutes before `now`, within `lookback`
    hours and not before the pipeline's first loaded hour, without a committed load."""
    last = _floor_hour(now - timedelta(minutes=grace)) - timedelta(
        hours=1
    )  # its end + grace <= now
    first = _floor_hour(now - timedelta(hours=lookback))
    ((first_loaded,),) = _rows(conn, "ops/first_loaded_hour.sql", {"pipeline": pipeline})
    if first_loaded:
        first = max(first, datetime.strptime(first_loaded, "%Y%m%d%H").replace(tzinfo=timezone.utc))
    expected = hours_in_window(first, last + timedelta(hours=1))
    if not expected:
        return []
    loaded = {
        key
        for (key,) in _rows(
            conn,
            "ops/loaded_hours.sql",
            {
                "pipeline": pipeline,
                "first_hour": hour_key(expected[0]),
                "last_hour": hour_key(expected[-1]),
            },
        )
    }
    return [hour for hour in expected if hour_key(hour) not in loaded]


def check_freshness(conn, pipeline: str, now: datetime, context) -> dict:
    """Alert (one email) when hours are late; the late hours, for the task's XCom."""
    grace = grace_minutes()
    late = late_hours(conn, pipeline, now, grace, lookback_hours())
    keys = [hour_key(hour) for hour in late]
    sent = False
    if late:
        shown = ", ".join(f"{hour:%Y-%m-%d %H:00}" for hour in late[:24])
        sent = send_alert(
            f"[datalake] {pipeline}: {len(late)} arrival hour(s) not loaded {grace} min after "
            "they closed",
            {
                "DAG": pipeline,
                "Late arrival hours (UTC)": shown,
                "Checked at": now.isoformat(),
                "Grace (minutes)": grace,
                "Run": getattr(context.get("dag_run"), "run_id", "?"),
                "What to do": "look at the hourly runs of these hours (failed, queued, missing) "
                "and backfill or rerun them; the manifest table is datalake_ops.run_manifest",
            },
            context,
        )
    return {"late_hours": keys, "alerted": sent}
