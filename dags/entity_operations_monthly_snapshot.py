"""
### entity_operations_monthly_snapshot

The run whose data interval is month M-1 writes, into partition `year`/`month` = M of
`epilot_datalake.entity_operations`, one `SnapshotOperation` row per entity active at the end
of M-1, and its Parquet file in the lake: **check_hourly_runs** (waits until every arrival hour
of M-1 has a committed hourly run) → **build_snapshot** (one transaction; refreshes stale
earlier months first). Backfill in order, oldest month first. More: docs/dags.md.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, task

from datalake.alerts import FailureNotifier
from datalake.dag_defaults import DEFAULT_ARGS
from datalake.operators import MonthlySnapshotOperator

ENTITY_OPERATIONS = Asset(name="entity_operations", uri="datalake://warehouse/epilot_datalake/entity_operations")


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
            # The local platform (`make run`) exports DATALAKE_SNAPSHOT_REQUIRE_COMPLETE_HOURS=false:
            # it only ever has a few hours of data, and a scheduled run would wait for days.
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
    @task(
        retries=40,
        retry_delay=timedelta(minutes=2),
        retry_exponential_backoff=True,
        max_retry_delay=timedelta(hours=2),
        execution_timeout=timedelta(minutes=5),
    )
    def check_hourly_runs(params=None, data_interval_start=None, data_interval_end=None) -> dict:
        from datalake.entity import monthly_snapshot
        from datalake.hooks import DatalakeHook

        return monthly_snapshot.check_hourly_runs(
            DatalakeHook().settings, data_interval_start, data_interval_end,
            require_complete=bool(params.get("require_complete_hours", True)),
        )

    build_snapshot = MonthlySnapshotOperator(
        task_id="build_snapshot", pool="warehouse_entity_operations", outlets=[ENTITY_OPERATIONS],
    )

    check_hourly_runs() >> build_snapshot


entity_operations_monthly_snapshot()
