"""Monthly SnapshotOperation roll-up of entity_operations.

What the tasks of DAG ``entity_operations_monthly_snapshot`` do, callable without Airflow.

Snapshot month M (the run whose data interval is month M-1) holds, in partition
year/month = M, one ``SnapshotOperation`` row per entity active at the first instant of M:

* ``id``          ``snapshot-<entity_id>-<YYYY>-<MM>``: deterministic per (entity, month),
  readable, sorts by entity inside a month and cannot collide with an EventBridge event id
  (a UUID); a rerun produces the same ids, so replacing is exact;
* ``time``        the first instant of M (``2026-11-01T00:00:00.000Z``);
* ``operation``   ``updateEntity`` (never ``createEntity``: the docs' Example 1 counts
  creations without filtering on ``detail-type``);
* everything else (``detail``, ``activity_id``, ``schema``, ``account``, ``source``,
  ``region``) from the entity's latest operation by (time, id).

Incremental: built from the latest earlier snapshot S (normally M-1: S's partition holds
S's snapshot rows and S's operations) plus the operations of the months between S and M.
Only the first snapshot ever (no earlier snapshot) reads all operations before M.

Idempotent: M's snapshot rows are deleted and re-inserted in one transaction under the
entity_operations lock (the one the hourly load takes), the lake file
``entity_operations/year=Y/month=M/snapshot-YYYYMM.parquet`` is rewritten (sorted by id, so
the same rows give the same bytes) and the run's manifest is
``datalake_ops.run_manifest`` (pipeline ``entity_operations_monthly_snapshot``, run key
``YYYYMM``). Those manifest rows are also the catalogue of existing snapshot months.

Late data: the hourly load marks, in its own transaction, the first snapshot month after
the month of every event it loaded "behind" an existing snapshot
(``datalake_ops.snapshot_refresh_needed``); right after its commit it calls
:func:`refresh_pending`, which recomputes the marked months in ascending order and, when a
month's rows actually changed, marks the next existing snapshot month, so a chain of months
is refreshed in order and stops as soon as nothing changes. The monthly DAG runs the same
refresh before and after building its month, so a mark left behind by a failed refresh is
never forgotten.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from datalake.config import Settings
from datalake.entity import DAG_ID, STREAM
from datalake.entity.parquet import entity_arrow_schema
from datalake.entity_schema import ENTITY_COLUMNS
from datalake.hourly.landing import hour_key, hours_in_window
from datalake.hourly.manifest import record_run
from datalake.locks import lock_entity_operations
from datalake.sqlfiles import execute_file, query_file, statement_of

log = logging.getLogger(__name__)

PIPELINE = "entity_operations_monthly_snapshot"
HOURLY_PIPELINE = DAG_ID
LAKE_CHUNK_ROWS = 50_000
MISSING_HOURS_SHOWN = 10


class IncompleteHourlyRuns(RuntimeError):
    """Some arrival hours of the month have no committed hourly run yet."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} out of range")

    @classmethod
    def of(cls, value: datetime) -> "Month":
        value = value.astimezone(timezone.utc)
        return cls(value.year, value.month)

    @classmethod
    def parse(cls, key: str) -> "Month":
        if len(key) != 6 or not key.isdigit():
            raise ValueError(f"month key {key!r} is not YYYYMM")
        return cls(int(key[:4]), int(key[4:]))

    @property
    def key(self) -> str:
        return f"{self.year:04d}{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=timezone.utc)

    @property
    def time_text(self) -> str:
        """The first instant of the month, formatted like every ``time`` of the table."""
        return f"{self.year:04d}-{self.month:02d}-01T00:00:00.000Z"

    @property
    def partition(self) -> dict[str, str]:
        """Partition values as stored: unpadded strings."""
        return {"year": str(self.year), "month": str(self.month)}

    def next(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def prev(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)


def snapshot_id(entity_id: str, month: Month) -> str:
    return f"snapshot-{entity_id}-{month.year:04d}-{month.month:02d}"


def snapshot_lake_key(month: Month) -> str:
    return f"{STREAM}/year={month.year}/month={month.month}/snapshot-{month.key}.parquet"


def month_for_interval(start: datetime, end: datetime) -> Month:
    """The snapshot month of a run: its data interval must be exactly one calendar month
    (M-1); the snapshot is written for M, the month the interval ends in."""
    first = Month.of(start)
    if (
        start.astimezone(timezone.utc) != first.start
        or end.astimezone(timezone.utc) != first.next().start
    ):
        raise ValueError(
            f"{PIPELINE} snapshots one calendar month per run; got data interval "
            f"[{start.isoformat()}, {end.isoformat()})"
        )
    return first.next()


# --------------------------------------------------------------------------- completeness


def expected_hour_keys(month: Month) -> list[str]:
    """Run keys (YYYYMMDDHH) of every arrival hour of the month."""
    return [hour_key(h) for h in hours_in_window(month.start, month.next().start)]


def missing_hourly_runs(conn, month: Month) -> list[str]:
    expected = expected_hour_keys(month)
    rows = query_file(
        conn, "snapshot/hourly_runs.sql", {"first_hour": expected[0], "last_hour": expected[-1]}
    )
    done = {r[0] for r in rows}
    return [k for k in expected if k not in done]


def check_hourly_runs(
    settings: Settings,
    interval_start: datetime,
    interval_end: datetime,
    require_complete: bool = True,
) -> dict:
    """Fail unless every arrival hour of the interval's month has a committed hourly run."""
    from datalake.warehouse import connect

    month = month_for_interval(interval_start, interval_end)
    covered = month.prev()
    if not require_complete:
        log.warning(
            "require_complete_hours is false: not checking the hourly runs of %s", covered.label
        )
        return {"month": covered.label, "checked": False, "missing": None}
    with connect(settings) as conn:
        missing = missing_hourly_runs(conn, covered)
    total = len(expected_hour_keys(covered))
    if missing:
        shown = ", ".join(missing[:MISSING_HOURS_SHOWN]) + (
            ", ..." if len(missing) > MISSING_HOURS_SHOWN else ""
        )
        raise IncompleteHourlyRuns(
            f"{len(missing)} of {total} arrival hours of {covered.label} have no committed "
            f"{HOURLY_PIPELINE} run (no row in datalake_ops.run_manifest): {shown}. The snapshot "
            f"for {month.label} waits (the check_hourly_runs sensor looks again, with backoff); "
            f"load or backfill those hours, "
            f"or trigger with require_complete_hours=false for a local demo."
        )
    return {"month": covered.label, "checked": True, "missing": 0, "hours": total}


# --------------------------------------------------------------------------- building


def snapshot_months(conn) -> list[str]:
    """Month keys (YYYYMM) of every snapshot written so far, ascending."""
    return [r[0] for r in query_file(conn, "ops/run_keys.sql", {"pipeline": PIPELINE})]


def _months_between(first: Month, last: Month) -> list[Month]:
    """Months strictly between first and last."""
    out, current = [], first.next()
    while current < last:
        out.append(current)
        current = current.next()
    return out


def _write_lake_local(conn, client, bucket: str, month: Month) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = entity_arrow_schema()
    columns = ", ".join(f'"{c}"' for c in ENTITY_COLUMNS)
    buf = io.BytesIO()
    with pq.ParquetWriter(buf, schema, compression="zstd") as writer:
        with conn.cursor(name=f"snapshot_{month.key}") as cur:
            cur.itersize = LAKE_CHUNK_ROWS
            cur.execute(statement_of("snapshot/read_rows.sql", columns=columns))
            while chunk := cur.fetchmany(LAKE_CHUNK_ROWS):
                arrays = [
                    pa.array([row[i] for row in chunk], pa.string())
                    for i in range(len(ENTITY_COLUMNS))
                ]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    key = snapshot_lake_key(month)
    client.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())
    # Parts an UNLOAD of the month wrote earlier (the warehouse was Redshift then) would double it.
    from datalake.s3 import delete_keys, iter_keys

    delete_keys(
        client,
        bucket,
        [k for k, _ in iter_keys(client, bucket, snapshot_lake_prefix(month)) if k != key],
    )
    return key


def snapshot_lake_prefix(month: Month) -> str:
    """What every snapshot file of the month starts with, on both warehouses: locally one
    file, snapshot-YYYYMM.parquet; Redshift's UNLOAD (PARALLEL OFF) appends its part
    numbers, snapshot-YYYYMM-000.parquet, -001.parquet past 6.2 GB."""
    return f"{STREAM}/year={month.year}/month={month.month}/snapshot-{month.key}"


def _unload_lake_redshift(conn, client, settings: Settings, month: Month) -> list[str]:
    """UNLOAD the month's snapshot; returns every file it wrote and deletes the files of an
    earlier run of the month that this one did not rewrite (fewer parts this time)."""
    from datalake.s3 import delete_keys, iter_keys

    prefix = snapshot_lake_prefix(month)
    before = {key for key, _ in iter_keys(client, settings.lake_bucket, prefix)}
    execute_file(
        conn,
        "snapshot/unload_redshift.sql",
        prefix_uri=f"s3://{settings.lake_bucket}/{prefix}-",
        iam_role=settings.redshift_iam_role or "",
    )
    written = sorted(key for key, _ in iter_keys(client, settings.lake_bucket, f"{prefix}-"))
    delete_keys(client, settings.lake_bucket, sorted(before - set(written)))
    return written


def build_month(conn, client, settings: Settings, month: Month, force: bool = True) -> dict:
    """(Re)build month M's snapshot inside the caller's transaction (which holds the lock).

    With force=False an unchanged snapshot is left as it is (no write, nothing to propagate).
    Returns what was done; ``changed`` tells whether the stored rows differ from before.
    """
    existing = snapshot_months(conn)
    earlier = [k for k in existing if k < month.key]
    base = Month.parse(earlier[-1]) if earlier else None
    render = {
        "base": base.partition if base else None,
        "between": [m.partition for m in _months_between(base, month)] if base else [],
    }
    params = {
        "id_suffix": f"{month.year:04d}-{month.month:02d}",
        "month_start": month.time_text,
        **month.partition,
    }
    execute_file(conn, "snapshot/create_rows.sql")
    execute_file(conn, "snapshot/build_rows.sql", params, **render)
    entities = query_file(conn, "snapshot/count_rows.sql")[0][0]
    existed = month.key in existing
    differences = query_file(conn, "snapshot/count_changes.sql", month.partition)[0][0]
    changed = (not existed) or differences > 0
    result = {
        "month": month.label,
        "base": f"snapshot {base.label}" if base else "full history",
        "entities": entities,
        "changed": changed,
        "written": False,
        "lake_file": None,
    }
    if changed or force:
        deleted, inserted = execute_file(conn, "snapshot/replace_rows.sql", month.partition)
        if settings.warehouse_is_redshift:
            result["lake_files"] = _unload_lake_redshift(conn, client, settings, month)
        else:
            result["lake_files"] = [_write_lake_local(conn, client, settings.lake_bucket, month)]
        result["lake_file"] = result["lake_files"][0]
        result["written"] = True
        manifest = {
            "pipeline": PIPELINE,
            "run_key": month.key,
            "snapshot_month": month.label,
            "window_start": month.prev().start.isoformat(),
            "window_end": month.start.isoformat(),
            "base": result["base"],
            "entities": entities,
            "lake_file": result["lake_file"],
            "lake_files": result["lake_files"],
        }
        record_run(
            conn,
            PIPELINE,
            month.key,
            month.prev().start,
            month.start,
            json.dumps(manifest, sort_keys=True, indent=2),
        )
        log.info(
            "snapshot %s: %d entities (base: %s), replaced %d rows, %d differences",
            month.label,
            inserted,
            result["base"],
            deleted,
            differences,
        )
    execute_file(conn, "snapshot/drop_rows.sql")
    if changed:
        _mark_next(conn, month, f"snapshot {month.label} changed")
    return result


def _mark(conn, month_key: str, reason: str) -> None:
    execute_file(conn, "snapshot/mark_stale.sql", {"month_key": month_key, "reason": reason})


def _mark_next(conn, month: Month, reason: str) -> None:
    """A changed snapshot month makes the next existing one possibly stale."""
    later = [k for k in snapshot_months(conn) if k > month.key]
    if later:
        _mark(conn, later[0], reason)


def refresh_stale(conn, client, settings: Settings, before: Month | None = None) -> list[dict]:
    """Recompute the marked snapshot months in ascending order (inside the caller's locked
    transaction), clearing each mark; a change propagates to the next snapshot month."""
    done = []
    while True:
        rows = query_file(
            conn,
            "snapshot/next_stale.sql",
            {"before": before.key if before else None},
            before=before is not None,
        )
        if not rows:
            return done
        key, reason = rows[0]
        execute_file(conn, "snapshot/clear_mark.sql", {"month_key": key})
        if key not in snapshot_months(conn):
            log.info(
                "refresh of %s requested (%s) but no snapshot exists for it: nothing to do",
                key,
                reason,
            )
            continue
        result = build_month(conn, client, settings, Month.parse(key), force=False)
        result["reason"] = reason
        log.info(
            "refreshed snapshot %s (%s): changed=%s", result["month"], reason, result["changed"]
        )
        done.append(result)


def refresh_pending(client, settings: Settings) -> list[dict]:
    """Refresh every marked snapshot month in its own locked transaction (called by the
    hourly load after its commit, and usable on its own)."""
    from datalake.warehouse import connect

    with connect(settings) as conn:
        with conn.transaction():
            lock_entity_operations(conn, settings)
            return refresh_stale(conn, client, settings)


def run_snapshot(
    client, settings: Settings, interval_start: datetime, interval_end: datetime
) -> dict:
    """The build task: snapshot for the month after the data interval, in one transaction."""
    from datalake.s3 import require_bucket
    from datalake.warehouse import connect

    month = month_for_interval(interval_start, interval_end)
    require_bucket(client, settings.lake_bucket, "lake")
    with connect(settings) as conn:
        with conn.transaction():
            lock_entity_operations(conn, settings)
            # Stale earlier months first: this month is built on top of them.
            before = refresh_stale(conn, client, settings, before=month)
            execute_file(conn, "snapshot/clear_mark.sql", {"month_key": month.key})
            result = build_month(conn, client, settings, month, force=True)
            # A rerun or an out-of-order backfill that changed this month refreshes the later ones.
            after = refresh_stale(conn, client, settings)
    result["refreshed"] = [r["month"] for r in before + after]
    log.info("snapshot run %s", json.dumps(result, sort_keys=True))
    return result
