"""
### entity_operations_monthly_snapshot

The run whose data interval is month M-1 writes, into partition `year`/`month` = M of
`epilot_datalake.entity_operations`, one `SnapshotOperation` row per entity active at the end
of M-1, and its Parquet file in the lake: **check_hourly_runs** (a sensor in reschedule mode:
waits, backing off, until every arrival hour of M-1 has a committed hourly run) →
**build_snapshot** (one transaction; refreshes stale earlier months first). Backfill in order,
oldest month first. More: docs/dags.md.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta, timezone

from airflow.sdk import CronDataIntervalTimetable, Param, PokeReturnValue, dag, task

from datalake.alerts import FailureNotifier
from datalake.assets import SNAPSHOT_INLETS, SNAPSHOT_OUTLETS
from datalake.dag_defaults import DEFAULT_ARGS
from datalake.operators import MonthlySnapshotOperator

# The wait for last month's hourly runs: checks 2 minutes apart at first, doubling up to 2 hours,
# for three days at most.
HOURLY_RUNS_FIRST_CHECK_AFTER = timedelta(minutes=2)
HOURLY_RUNS_MAX_CHECK_INTERVAL = timedelta(hours=2)
HOURLY_RUNS_WAIT_AT_MOST = timedelta(days=3)


@dag(
    dag_id="entity_operations_monthly_snapshot",
    schedule=CronDataIntervalTimetable("0 0 1 * *", timezone="UTC"),
    # Early enough that past months can be backfilled (catchup=False: nothing runs by itself).
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["datalake", "entity_operations", "monthly"],
    on_failure_callback=FailureNotifier(),  # one email per failed run when alerts are configured
    params={
        "require_complete_hours": Param(
            # The local platform (`make run`) exports
            # DATALAKE_SNAPSHOT_REQUIRE_COMPLETE_HOURS=false: it only ever has a few hours of data,
            # and a scheduled run would wait for days.
            os.environ.get("DATALAKE_SNAPSHOT_REQUIRE_COMPLETE_HOURS", "true").lower() != "false",
            type="boolean",
            description="Wait until every arrival hour of the month has a committed hourly run. "
            "Set false only for local demos.",
        ),
    },
    default_args={
        **DEFAULT_ARGS,
        "retry_delay": timedelta(minutes=2),
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": timedelta(hours=2),
    },
)
def entity_operations_monthly_snapshot():
    @task.sensor(
        mode="reschedule",
        poke_interval=HOURLY_RUNS_FIRST_CHECK_AFTER,
        exponential_backoff=True,
        max_wait=HOURLY_RUNS_MAX_CHECK_INTERVAL,
        timeout=HOURLY_RUNS_WAIT_AT_MOST,
        execution_timeout=timedelta(minutes=5),
    )
    def check_hourly_runs(params=None, data_interval_start=None, data_interval_end=None):
        from datalake.entity import monthly_snapshot
        from datalake.hooks import DatalakeHook

        try:
            result = monthly_snapshot.check_hourly_runs(
                DatalakeHook().settings,
                data_interval_start,
                data_interval_end,
                require_complete=bool(params.get("require_complete_hours", True)),
            )
        except monthly_snapshot.IncompleteHourlyRuns as waiting:
            logging.getLogger(__name__).info("not yet: %s", waiting)  # this check's task log
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=result)

    build_snapshot = MonthlySnapshotOperator(
        task_id="build_snapshot",
        max_active_tis_per_dag=1,
        inlets=SNAPSHOT_INLETS,
        outlets=SNAPSHOT_OUTLETS,
    )

    check_hourly_runs() >> build_snapshot


entity_operations_monthly_snapshot()
