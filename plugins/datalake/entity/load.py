"""Load one arrival hour into the warehouse and the curated lake, in one transaction.

staged keys (COPY) -> dedupe within the run and against other runs -> delete by id -> rank the
latest operation per entity -> insert the surviving rows and current_entities' new rows ->
manifest -> COMMIT. Locally the surviving rows are copied from the staged files straight into
entity_operations, in event-id order (the staged chunks are sorted runs, merged by id_order);
in the same pass the winners per entity go to a temporary file (copied into
current_entities next) and the curated Parquet per event month is written by a thread,
complete before the manifest. On Redshift the rows go through a stage and UNLOAD writes the lake.
Anything failing before COMMIT leaves the warehouse as it was; the lake files are named
after the run, so the retry overwrites them.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from datalake.config import Settings
from datalake.entity import DAG_ID, STREAM
from datalake.entity.conflicts import (
    find_conflicts,
    find_copy_conflicts,
    staged_rows_redshift,
)
from datalake.entity.parquet import SEQ_COLUMN, curated_prefix
from datalake.entity.staged_files import (
    CuratedFiles,
    StagedFiles,
    WinnerRows,
    arrow_memory_pool,
    sorted_seqs,
    surviving_blocks,
)
from datalake.entity_schema import ENTITY_COLUMNS
from datalake.hourly.conflicts import account_conflicts
from datalake.hourly.lake import attempt_prefix, discard_attempt, run_attempt
from datalake.hourly.manifest import RunManifest, load_previous_manifest, save_manifest
from datalake.hourly.quarantine import publish_quarantine
from datalake.hourly.stream import Hour
from datalake.locks import lock_entity_operations
from datalake.pgcopy import copy_arrow
from datalake.s3 import delete_keys
from datalake.sqlfiles import execute_file, query_file

log = logging.getLogger(__name__)

PIPELINE = DAG_ID


class StepTimer:
    """Seconds per step, and the process's peak RSS (MiB) by the end of each step: where the
    load's time and memory went."""

    def __init__(self):
        import time

        self._clock = time.perf_counter
        self._last = self._clock()
        self.laps: dict[str, float] = {}
        self.peak_rss_mib: dict[str, int] = {}

    def lap(self, name: str) -> None:
        import resource

        now = self._clock()
        self.laps[name] = round(now - self._last, 3)
        self.peak_rss_mib[name] = (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        )  # KiB on Linux
        self._last = now


KEY_COLUMNS = ("id", "entity_id", "time", "operation", "year", "month", SEQ_COLUMN)  # stage_keys


def _copy_staged_redshift(conn, settings: Settings, run_key: str, attempt: str) -> int:
    if not settings.redshift_iam_role:
        from datalake.errors import ConfigurationError

        raise ConfigurationError(
            "REDSHIFT_IAM_ROLE (or the redshift_default extra iam_role) is required for COPY"
        )
    uri = f"s3://{settings.lake_bucket}/{attempt_prefix(STREAM, run_key, attempt)}"
    execute_file(
        conn,
        "redshift/stage_entity_operations.sql",
        staging_uri=uri,
        iam_role=settings.redshift_iam_role,
    )
    return query_file(conn, "entity_operations/stage_keys_count.sql")[0][0]


def _unload_curated_redshift(conn, client, settings: Settings, run_key: str) -> list[str]:
    """UNLOAD the run's rows month by month into the local path's year=/month= folders, named
    after the run; returns the keys Redshift wrote (it numbers the files itself)."""
    from datalake.s3 import iter_keys

    keys: list[str] = []
    for year, month in query_file(conn, "redshift/stage_months.sql"):
        if not (len(year) == 4 and year.isdigit() and len(month) in (1, 2) and month.isdigit()):
            raise ValueError(f"unexpected partition year={year!r} month={month!r} in the stage")
        prefix = curated_prefix(STREAM, year, month, run_key)
        execute_file(
            conn,
            "redshift/unload_entity_operations.sql",
            prefix_uri=f"s3://{settings.lake_bucket}/{prefix}",
            year=year,
            month=month,
            iam_role=settings.redshift_iam_role,
        )
        keys.extend(key for key, _ in iter_keys(client, settings.lake_bucket, prefix))
    return sorted(keys)


class LocalWarehouse:
    """PostgreSQL: the staged files are read here and COPYed in (the keys first, then the rows
    that survive the dedupe, which also go to the curated files and the winners' file: pyarrow
    and the socket wait release the GIL, so PostgreSQL works on one core, the readers and
    writers on the other)."""

    def __init__(self, staged_files, curated_files, winner_rows, background, timer):
        self.staged_files, self.curated_files, self.winner_rows = (
            staged_files,
            curated_files,
            winner_rows,
        )
        self.background, self.timer = background, timer
        self._curated = None

    def stage(self, conn) -> int:
        execute_file(conn, "entity_operations/stage_keys_local.sql")
        staged = copy_arrow(
            conn,
            "stage_keys",
            KEY_COLUMNS,
            self.staged_files.batches(list(KEY_COLUMNS)),
            ahead=True,
        )
        self.timer.lap("stage_keys_copy")
        execute_file(conn, "entity_operations/stage_keys_index.sql")
        self.timer.lap("stage_keys_index")
        return staged

    def insert(self, conn) -> int:
        winners = sorted_seqs(conn, "entity_operations/winning_seqs.sql")
        blocks = surviving_blocks(
            self.staged_files,
            sorted_seqs(conn, "entity_operations/surviving_seqs.sql"),
            self.curated_files,
            self.background,
            winners,
            self.winner_rows,
        )
        loaded = copy_arrow(
            conn, "epilot_datalake.entity_operations", ENTITY_COLUMNS, blocks, ahead=True
        )
        # Closed and uploaded while PostgreSQL fills current_entities.
        self._curated = self.background.submit(self.curated_files.upload)
        self.timer.lap("insert_rows")
        copied = copy_arrow(
            conn,
            "epilot_datalake.current_entities",
            ENTITY_COLUMNS,
            self.winner_rows.blocks(),
            ahead=True,
        )
        if copied != len(winners):
            raise RuntimeError(f"current_entities: {copied} rows copied for {len(winners)} winners")
        return loaded

    def conflicts(self, conn, run_key: str) -> tuple[list, list]:
        rows_of = self.staged_files.rows_of
        return find_copy_conflicts(conn, run_key, rows_of), find_conflicts(conn, run_key, rows_of)

    def write_lake(self, conn) -> list[str]:
        lake_files = self._curated.result()
        self.timer.lap("curated_wait")
        return lake_files


class RedshiftWarehouse:
    """Redshift: COPY from the run's attempt prefix, INSERT ... SELECT, UNLOAD the curated
    files month by month."""

    def __init__(self, client, settings: Settings, run_key: str, attempt: str, timer):
        self.client, self.settings, self.run_key, self.attempt = client, settings, run_key, attempt
        self.timer = timer

    def stage(self, conn) -> int:
        return _copy_staged_redshift(conn, self.settings, self.run_key, self.attempt)

    def conflicts(self, conn, run_key: str) -> tuple[list, list]:
        rows_of = partial(staged_rows_redshift, conn)
        return find_copy_conflicts(conn, run_key, rows_of), find_conflicts(conn, run_key, rows_of)

    def insert(self, conn) -> int:
        _, loaded = execute_file(conn, "redshift/insert_entity_operations.sql")
        self.timer.lap("insert_rows")
        execute_file(conn, "redshift/insert_current_entities.sql")
        return loaded

    def write_lake(self, conn) -> list[str]:
        return _unload_curated_redshift(conn, self.client, self.settings, self.run_key)


def load_entity_hour(client, settings: Settings, hour: Hour, batch_counts: list[dict]) -> dict:
    """Load the staged batches of one run; returns the manifest as a dict."""
    from datalake.warehouse import connect

    run_key, window_start, window_end = hour.run_key, hour.start, hour.end
    manifest = RunManifest.from_batches(PIPELINE, run_key, window_start, window_end, batch_counts)
    staged_keys = [c["staged_key"] for c in batch_counts if c.get("staged_key")]
    attempt = run_attempt(batch_counts)  # this run's files only, whatever other run is going
    params = {"run_key": run_key}
    timer = StepTimer()
    curated_files = CuratedFiles(client, settings.lake_bucket, run_key)
    winner_rows = WinnerRows()
    staged_files = StagedFiles(client, settings.lake_bucket, staged_keys)
    try:
        # Leaving the pool waits for its thread, also when the transaction fails: no lake
        # write outlives the task.
        background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="curated")
        if settings.warehouse_is_redshift:
            warehouse = RedshiftWarehouse(client, settings, run_key, attempt, timer)
        else:
            warehouse = LocalWarehouse(staged_files, curated_files, winner_rows, background, timer)
        with connect(settings) as conn, background, arrow_memory_pool("jemalloc"):
            with conn.transaction():
                # One writer per table at a time, even across DAGs (the Airflow pool is the first
                # line).
                lock_entity_operations(conn, settings)
                manifest.staged = warehouse.stage(conn)
                # Before the dedupe drops them: later copies of ids staged twice in the run and
                # copies of ids other hours loaded, compared.
                conflicts = warehouse.conflicts(conn, run_key)
                dropped = execute_file(conn, "entity_operations/dedupe.sql", params)
                account_conflicts(
                    client,
                    settings.lake_bucket,
                    STREAM,
                    manifest,
                    tuple(dropped),
                    batch_counts,
                    conflicts,
                )
                timer.lap("dedupe")
                deleted, *_ = execute_file(conn, "entity_operations/merge.sql", params)
                manifest.replaced = deleted
                timer.lap("merge_keys")
                execute_file(conn, "entity_operations/current_entities_rank.sql")
                timer.lap("rank_latest")
                manifest.loaded = warehouse.insert(conn)
                timer.lap("current_entities")
                # Late data: events of a month behind an existing monthly snapshot mark the
                # snapshot months to refresh; the mark commits with the data.
                execute_file(conn, "entity_operations/mark_stale_snapshots.sql", params)
                snapshots_stale = len(query_file(conn, "snapshot/pending.sql"))

                previous = load_previous_manifest(conn, PIPELINE, run_key)
                manifest.lake_files = warehouse.write_lake(conn)
                stale = (
                    sorted(set(previous.get("lake_files", [])) - set(manifest.lake_files))
                    if previous
                    else []
                )
                delete_keys(client, settings.lake_bucket, stale)
                manifest.quarantine_files = publish_quarantine(
                    client, settings.lake_bucket, STREAM, run_key, manifest.quarantine_files
                )
                manifest.check()
                save_manifest(conn, client, settings.lake_bucket, STREAM, manifest)
                timer.lap("manifest")
            timer.lap("commit")
    finally:
        curated_files.close()  # temporary files, also when the load failed
        winner_rows.close()
        staged_files.close()
    return _after_commit(client, settings, manifest, attempt, timer, snapshots_stale)


def _after_commit(
    client,
    settings: Settings,
    manifest: RunManifest,
    attempt: str,
    timer: StepTimer,
    snapshots_stale: int,
) -> dict:
    """Clear the staging files, log the manifest and timings, refresh stale snapshots; the
    task's result."""
    # Staging files are only needed until the commit.
    discard_attempt(client, settings.lake_bucket, STREAM, manifest.run_key, attempt)
    log.info("run manifest %s", json.dumps(manifest.as_dict(), sort_keys=True))
    result = manifest.as_dict()
    # Where the load's time went (not part of the manifest, which stays free of wall-clock).
    result["step_seconds"] = timer.laps
    result["step_peak_rss_mib"] = timer.peak_rss_mib
    log.info("load steps (s): %s", json.dumps(timer.laps))
    if snapshots_stale:
        # After the commit, in its own locked transaction: a refresh failure fails this task
        # (Airflow retries the idempotent load) but never rolls back the hour, and the marks
        # stay until a refresh (this one, a later hour's or the monthly DAG's) succeeds.
        from datalake.entity.monthly_snapshot import refresh_pending as refresh_snapshots

        result["snapshots_refreshed"] = [r["month"] for r in refresh_snapshots(client, settings)]
    return result
