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
import shutil
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime

from datalake.config import Settings
from datalake.entity_schema import ENTITY_COLUMNS
from datalake.hourly.lake import (
    SEQ_COLUMN,
    curated_key,
    delete_keys,
    delete_prefix,
    entity_arrow_schema,
    staging_prefix,
)
from datalake.locks import lock_entity_operations
from datalake.pgcopy import copy_arrow
from datalake.hourly.id_order import ID_COLUMN, merge_runs
from datalake.hourly.manifest import RunManifest, load_previous_manifest, save_manifest
from datalake.sqlfiles import execute_file, query_file

log = logging.getLogger(__name__)

STREAM = "entity_operations"
PIPELINE = "entity_operations_hourly"
STAGED_READ_ROWS = 10_000  # rows per block read back from a staged file, and per block copied


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
        self.peak_rss_mib[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KiB on Linux
        self._last = now


@contextmanager
def arrow_memory_pool(name: str):
    """Arrow allocates from pool `name` inside the block (when this pyarrow has it), from the
    default pool again after. The load uses jemalloc: pyarrow's default, mimalloc, kept what
    the load's three threads freed (the id-order merge allocates and frees a block per run
    and round): the same 1 M load peaked at 755-784 MiB RSS with mimalloc and 594-625 MiB
    with jemalloc, Arrow's own allocations at 175-204 MiB in both."""
    import pyarrow as pa

    try:
        pool = getattr(pa, f"{name}_memory_pool")()
    except (AttributeError, NotImplementedError):  # a build without it
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


class InjectedFailure(RuntimeError):
    """Raised by the test hook that simulates a crash between staging and COMMIT."""


KEY_COLUMNS = ("id", "entity_id", "time", "operation", "year", "month", SEQ_COLUMN)  # stage_keys


class StagedFiles:
    """The run's staged files, each streamed once from S3 to a local temporary file (a
    batch's staged file grows with the hour, the load's memory must not), then read twice:
    the keys first, the surviving rows after the dedupe that the keys feed."""

    def __init__(self, client, bucket: str, staged_keys: list[str]):
        self.client, self.bucket, self.staged_keys = client, bucket, staged_keys
        self._files: list = []

    def paths(self) -> list[str]:
        import tempfile

        for key in self.staged_keys[len(self._files):]:  # the ones not downloaded yet
            tmp = tempfile.NamedTemporaryFile(prefix="staged-", suffix=".parquet")
            self._files.append(tmp)
            # One streamed GET: with boto3's download_fileobj (ranged GETs on threads) the key
            # pass over 1 M staged rows took 4 s instead of 2 s.
            shutil.copyfileobj(self.client.get_object(Bucket=self.bucket, Key=key)["Body"], tmp, 8 << 20)
            tmp.flush()
        return [tmp.name for tmp in self._files]

    def batches(self, columns: list[str] | None = None):
        """Every staged row's `columns` (all when None), in blocks of STAGED_READ_ROWS, in file order."""
        import pyarrow.parquet as pq

        for path in self.paths():
            parquet = pq.ParquetFile(path)  # read natively, not through the Python file object
            yield from parquet.iter_batches(batch_size=STAGED_READ_ROWS, columns=columns)

    def runs(self, survivors) -> list:
        """The staged rows whose _seq is in `survivors`, as the runs that id_order merges: the
        process step stages each chunk in id order, as row groups of STAGED_ROW_GROUP_ROWS,
        so a run is row groups whose ids (Parquet statistics) follow on from each other. A run
        is read a row group at a time."""
        import pyarrow.parquet as pq

        def run(parquet, groups: list[int]):
            for group in groups:
                table = parquet.read_row_group(group)
                kept = _kept(table.column(SEQ_COLUMN), survivors)
                yield table if kept.true_count == len(kept) else table.filter(kept)

        runs = []
        for path in self.paths():
            parquet = pq.ParquetFile(path)
            for groups in _runs_of_row_groups(parquet.metadata):
                runs.append(run(parquet, groups))
        return runs

    def close(self) -> None:
        for tmp in self._files:
            tmp.close()
        self._files.clear()


def _runs_of_row_groups(metadata) -> list[list[int]]:
    """Row groups cut into runs: consecutive groups whose ids follow on (each group's smallest
    id past the previous group's largest, by the Parquet statistics). A group without
    statistics is a run of its own (order is only for speed)."""
    column = metadata.schema.to_arrow_schema().get_field_index(ID_COLUMN)
    runs: list[list[int]] = []
    last = None
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max:
            runs.append([group])
            last = None
            continue
        if last is None or not stats.min > last:
            runs.append([])
        runs[-1].append(group)
        last = stats.max
    return runs


def _surviving_blocks(staged: StagedFiles, survivors, curated: CuratedFiles, background, winners,
                      winner_rows: WinnerRows):
    """The staged rows that survived the dedupe, in id order (id_order: the key's B-tree then
    fills leaf after leaf), block by block: each block goes to the warehouse (the caller), to
    the curated files (written by `background`, one block behind, so both cores work) and,
    for the rows whose _seq is in `winners`, to `winner_rows`."""
    pending = None
    for table in merge_runs(staged.runs(survivors), min_rows=STAGED_READ_ROWS):
        seqs = table.column(SEQ_COLUMN)
        table = table.select(list(ENTITY_COLUMNS))
        winner_rows.write(table.filter(_kept(seqs, winners)))
        if pending is not None:
            pending.result()
        pending = background.submit(curated.write, table)
        yield table
    if pending is not None:
        pending.result()


def _copy_staged_redshift(conn, settings: Settings, run_key: str) -> int:
    if not settings.redshift_iam_role:
        from datalake.s3 import ConfigurationError

        raise ConfigurationError("REDSHIFT_IAM_ROLE (or the redshift_default extra iam_role) is required for COPY")
    uri = f"s3://{settings.lake_bucket}/{staging_prefix(STREAM, run_key)}"
    execute_file(conn, "redshift/stage_entity_operations.sql", staging_uri=uri, iam_role=settings.redshift_iam_role)
    return query_file(conn, "entity_operations/stage_keys_count.sql")[0][0]


def _sorted_seqs(conn, select_file: str):
    """The _seq values `select_file` selects, sorted, as a numpy array: 8 bytes a row, no
    Python object per row. PostgreSQL packs them into one bytea (big-endian int8s): read
    row by row (COPY) the 1.3 M seqs of a 1 M-event hour took 2.6 s of the load's Python
    thread while PostgreSQL waited, as one value 0.4 s."""
    import numpy as np

    from datalake.sqlfiles import statement_of

    (packed,) = conn.execute(statement_of("entity_operations/sorted_seqs.sql", query=statement_of(select_file))).fetchone()
    if packed is None:  # no row
        return np.empty(0, dtype=np.int64)
    seqs = np.frombuffer(packed, dtype=">i8").astype(np.int64)  # the one copy: native order, writable
    seqs.sort()
    return seqs


class WinnerRows:
    """current_entities' new rows, taken from the staged blocks as they pass: an Arrow IPC file
    on disk (a winner per touched entity can be most of the hour), read back block by block for
    their COPY. PostgreSQL then writes them once, instead of finding them again by id in
    entity_operations (measured at 1 M rows: a 3 s hash join over the whole table, which would
    grow with history)."""

    def __init__(self):
        self._file = None  # made with the first winner: Redshift's load and an hour of deletes need none
        self._writer = None
        self.rows = 0

    def write(self, table) -> None:
        import tempfile

        import pyarrow as pa

        if not table.num_rows:
            return
        if self._writer is None:
            self._file = tempfile.NamedTemporaryFile(prefix="winners-", suffix=".arrow")
            self._writer = pa.ipc.new_file(self._file, table.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def blocks(self):
        import pyarrow as pa

        if self._writer is None:
            return
        self._writer.close()
        self._file.flush()
        # Read, not memory-mapped: mapped pages would count in the process's RSS, all of them.
        with pa.OSFile(self._file.name) as source:
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _kept(seqs, survivors):
    """Boolean mask of `seqs` (an Arrow int64 column) that are in `survivors` (sorted numpy):
    a binary search per row, where pyarrow's is_in would hash all the survivors for every block."""
    import numpy as np
    import pyarrow as pa

    values = seqs.to_numpy(zero_copy_only=False)
    if not len(survivors):
        return pa.array(np.zeros(len(values), dtype=bool))
    at = np.minimum(np.searchsorted(survivors, values), len(survivors) - 1)
    return pa.array(survivors[at] == values)


class CuratedFiles:
    """Curated Parquet per event month of one run, from the rows it loads in the order it loads
    them (event id), one row group per block. Each month's file is written to a temporary file
    and uploaded in parts. Same staged input, same bytes."""

    def __init__(self, client, bucket: str, run_key: str):
        self.client, self.bucket, self.run_key = client, bucket, run_key
        self._files: dict[tuple[str, str], tuple] = {}

    def write(self, table) -> None:
        import tempfile

        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        schema = entity_arrow_schema()
        months = pc.unique(pc.binary_join_element_wise(table["year"], table["month"], "-")).to_pylist()
        for ym in sorted(months):
            year, month = ym.split("-")
            # Most blocks are one month: no filtered copy of 15 MB of rows then.
            part = table if len(months) == 1 else table.filter(
                pc.and_(pc.equal(table["year"], year), pc.equal(table["month"], month)))
            if (year, month) not in self._files:
                tmp = tempfile.TemporaryFile()
                self._files[(year, month)] = (tmp, pq.ParquetWriter(tmp, schema, compression="zstd"))
            self._files[(year, month)][1].write_table(part.cast(schema))

    def upload(self) -> list[str]:
        written = []
        for (year, month), (tmp, writer) in sorted(self._files.items()):
            writer.close()
            tmp.seek(0)
            key = curated_key(STREAM, year, month, self.run_key)
            self.client.upload_fileobj(tmp, self.bucket, key)
            written.append(key)
        return written

    def close(self) -> None:
        for tmp, writer in self._files.values():
            writer.close()
            tmp.close()
        self._files.clear()


def load_entity_hour(
    client,
    settings: Settings,
    run_key: str,
    window_start: datetime,
    window_end: datetime,
    batch_counts: list[dict],
    fail_before_commit: bool = False,
) -> dict:
    """Load the staged batches of one run; returns the manifest as a dict."""
    from datalake.warehouse import connect

    manifest = RunManifest.from_batches(PIPELINE, run_key, window_start, window_end, batch_counts)
    staged_keys = [c["staged_key"] for c in batch_counts if c.get("staged_key")]
    params = {"run_key": run_key}
    timer = StepTimer()
    curated_files = CuratedFiles(client, settings.lake_bucket, run_key)
    winner_rows = WinnerRows()
    staged_files = StagedFiles(client, settings.lake_bucket, staged_keys)
    try:
        # Leaving the pool waits for its thread, also when the transaction fails: no lake
        # write outlives the task.
        background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="curated")
        with connect(settings) as conn, background, arrow_memory_pool("jemalloc"):
            with conn.transaction():
                # One writer per table at a time, even across DAGs (the Airflow pool is the first line).
                lock_entity_operations(conn, settings)
                if not settings.warehouse_is_redshift:
                    execute_file(conn, "entity_operations/stage_keys_local.sql")
                    staged = copy_arrow(conn, "stage_keys", KEY_COLUMNS, staged_files.batches(list(KEY_COLUMNS)),
                                        ahead=True)
                    timer.lap("stage_keys_copy")
                    execute_file(conn, "entity_operations/stage_keys_index.sql")
                    timer.lap("stage_keys_index")
                else:
                    staged = _copy_staged_redshift(conn, settings, run_key)
                manifest.staged = staged
                in_run, across_runs = execute_file(conn, "entity_operations/dedupe.sql", params)
                manifest.duplicates_in_run = in_run
                manifest.duplicates_already_loaded = across_runs
                timer.lap("dedupe")
                deleted, *_ = execute_file(conn, "entity_operations/merge.sql", params)
                manifest.replaced = deleted
                timer.lap("merge_keys")
                execute_file(conn, "entity_operations/current_entities_rank.sql")
                timer.lap("rank_latest")
                curated = None
                if settings.warehouse_is_redshift:
                    _, manifest.loaded = execute_file(conn, "redshift/insert_entity_operations.sql")
                    timer.lap("insert_rows")
                    execute_file(conn, "redshift/insert_current_entities.sql")
                else:
                    # The surviving rows, read once from the staged files, go straight into
                    # entity_operations, into the curated files and (the winners) into the
                    # winners' file (pyarrow and the socket wait release the GIL: PostgreSQL
                    # works on one core, the readers and writers on the other).
                    winners = _sorted_seqs(conn, "entity_operations/winning_seqs.sql")
                    blocks = _surviving_blocks(staged_files, _sorted_seqs(conn, "entity_operations/surviving_seqs.sql"),
                                               curated_files, background, winners, winner_rows)
                    manifest.loaded = copy_arrow(conn, "epilot_datalake.entity_operations", ENTITY_COLUMNS, blocks,
                                                 ahead=True)
                    # Closed and uploaded while PostgreSQL fills current_entities.
                    curated = background.submit(curated_files.upload)
                    timer.lap("insert_rows")
                    copied = copy_arrow(conn, "epilot_datalake.current_entities", ENTITY_COLUMNS,
                                        winner_rows.blocks(), ahead=True)
                    if copied != len(winners):
                        raise RuntimeError(f"current_entities: {copied} rows copied for {len(winners)} winners")
                timer.lap("current_entities")
                # Late data: events of a month behind an existing monthly snapshot mark the
                # snapshot months to refresh; the mark commits with the data (issue 4).
                execute_file(conn, "entity_operations/mark_stale_snapshots.sql", params)
                snapshots_stale = len(query_file(conn, "snapshot/pending.sql"))
                if fail_before_commit:
                    raise InjectedFailure("failure injected between staging and commit")

                previous = load_previous_manifest(conn, PIPELINE, run_key)
                if settings.warehouse_is_redshift:
                    lake_uri = f"s3://{settings.lake_bucket}/{STREAM}"
                    execute_file(conn, "redshift/unload_entity_operations.sql", lake_uri=lake_uri, run_key=run_key,
                                 iam_role=settings.redshift_iam_role)
                    manifest.lake_files = []
                else:
                    manifest.lake_files = curated.result()
                    timer.lap("curated_wait")
                stale = sorted(set(previous.get("lake_files", [])) - set(manifest.lake_files)) if previous else []
                delete_keys(client, settings.lake_bucket, stale)
                manifest.check()
                save_manifest(conn, client, settings.lake_bucket, STREAM, manifest)
                timer.lap("manifest")
            timer.lap("commit")
    finally:
        curated_files.close()  # temporary files, also when the load failed
        winner_rows.close()
        staged_files.close()
    # Staging files are only needed until the commit.
    delete_prefix(client, settings.lake_bucket, staging_prefix(STREAM, run_key))
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
        from datalake.monthly_snapshot import refresh_pending as refresh_snapshots

        result["snapshots_refreshed"] = [r["month"] for r in refresh_snapshots(client, settings)]
    return result
