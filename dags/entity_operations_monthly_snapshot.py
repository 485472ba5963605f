"""
### entity_operations_monthly_snapshot

The monthly roll-up of `epilot_datalake.entity_operations` (SPEC §2 "SnapshotOperation rows").
The run whose data interval is month **M-1** writes, into partition `year`/`month` = **M**,
one `SnapshotOperation` row per entity active at the end of M-1 (latest operation, by
`(time, id)`, not `deleteEntity`; an entity deleted and re-created is active):
`operation` = `updateEntity` (so the docs' Example 1, which counts `createEntity`, is
unchanged), `time` = the first instant of M (`2026-11-01T00:00:00.000Z`), the entity's latest
`detail`, `activity_id`, `schema`, `account`, `source`, `region`, and the deterministic
`id` = `snapshot-<entity_id>-<YYYY>-<MM>`. The docs' Example 2, which reads only the current
month's partition, then lists every active entity, including those untouched this month
(one caveat of that query, not of the data: an entity deleted *and* re-created within the
current month is active, yet Example 2 drops it because its operations contain a delete;
`current_entities` lists it).

1. **check_hourly_runs** (a sensor in reschedule mode: between checks it holds no worker
   slot): the snapshot starts only when every arrival hour of M-1 has a committed
   `entity_operations_hourly` run (its row in `datalake_ops.run_manifest`, written in the
   load's transaction). Until then each check logs the number of missing hours and the first
   of them, and checks again with exponential backoff (from 2 minutes up to 2 hours apart);
   after three days without them it fails. The boolean param `require_complete_hours` set to
   false skips the check, for local demos and backfills of months before the hourly pipeline
   existed. Its default is true, false where `DATALAKE_SNAPSHOT_REQUIRE_COMPLETE_HOURS=false`
   (what `make run` and `astro dev start` set).
2. **build_snapshot** (inside the transaction the same lock the hourly load takes, the
   `entity_operations` row of `datalake_ops.pipeline_locks` locally / `LOCK` on Redshift;
   `max_active_runs=1`): one transaction that
   - first refreshes earlier snapshot months marked stale (late data, below);
   - builds M **incrementally** from the latest earlier snapshot (normally M-1: its
     partition holds M-1's snapshot rows and M-1's operations) plus the operations of any
     months in between. Only the very first snapshot (no earlier one exists) falls back to
     every operation before M;
   - replaces M's `SnapshotOperation` rows (delete + insert: a rerun is idempotent) and
     rewrites `s3://<lake>/entity_operations/year=Y/month=M/snapshot-YYYYMM.parquet`
     (columns of `entity_operations`, sorted by id: the same rows give the same bytes);
   - records the run in `datalake_ops.run_manifest` (pipeline
     `entity_operations_monthly_snapshot`, run key `YYYYMM`), which is also the list of
     existing snapshot months;
   - if M's rows changed and a later snapshot exists (a rerun, or a backfill out of order),
     refreshes the later months in order.

**Late data.** An event of month X can arrive after the snapshot of X+1 was written. The
hourly load then, in its own transaction, inserts the first snapshot month after X into
`datalake_ops.snapshot_refresh_needed` (`include/sql/entity_operations/mark_stale_snapshots.sql`),
so the mark commits atomically with the event. Right after its commit, the same load task
refreshes the marked months in a second transaction under the same lock
(`datalake.monthly_snapshot.refresh_pending`): each marked month is recomputed from its
predecessor in ascending order; if its rows changed, the next snapshot month is marked
and refreshed too, so a chain of months is corrected in order and stops where nothing
changes. Keeping the refresh out of the load's transaction means a snapshot problem can never
roll back ingested data; the marks are durable, and this DAG refreshes any that are left
(e.g. after a failed refresh) before building its month. `current_entities` needs none of
this: the hourly load maintains it by `(time, id)` and a late older event never wins.

Backfill in order, e.g. `airflow backfill create --dag-id entity_operations_monthly_snapshot
--from-date 2026-08-01 --to-date 2026-10-01` (one run at a time, oldest first).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta, timezone

from airflow.sdk import CronDataIntervalTimetable, Param, PokeReturnValue, dag, task

from datalake.alerts import FailureNotifier
from datalake.assets import SNAPSHOT_INLETS, SNAPSHOT_OUTLETS
from datalake.hourly_dag import DEFAULT_ARGS
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
    @task.sensor(
        mode="reschedule",
        poke_interval=HOURLY_RUNS_FIRST_CHECK_AFTER,
        exponential_backoff=True,
        max_wait=HOURLY_RUNS_MAX_CHECK_INTERVAL,
        timeout=HOURLY_RUNS_WAIT_AT_MOST,
        execution_timeout=timedelta(minutes=5),
    )
    def check_hourly_runs(params=None, data_interval_start=None, data_interval_end=None):
        from datalake import monthly_snapshot
        from datalake.hooks import DatalakeHook

        try:
            result = monthly_snapshot.check_hourly_runs(
                DatalakeHook().settings, data_interval_start, data_interval_end,
                require_complete=bool(params.get("require_complete_hours", True)),
            )
        except monthly_snapshot.IncompleteHourlyRuns as waiting:
            logging.getLogger(__name__).info("not yet: %s", waiting)  # this check's task log
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=result)

    build_snapshot = MonthlySnapshotOperator(
        task_id="build_snapshot", max_active_tis_per_dag=1, inlets=SNAPSHOT_INLETS,
        outlets=SNAPSHOT_OUTLETS,
    )

    check_hourly_runs() >> build_snapshot


entity_operations_monthly_snapshot()
