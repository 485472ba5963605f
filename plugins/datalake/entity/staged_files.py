"""The load's staged-file helpers (entity operations): the run's staged Parquet read back from
the lake (keys first, surviving rows after the dedupe, in event-id order), the winners per
entity for current_entities, the curated Parquet per event month, and the seq lists the
warehouse hands back. datalake.entity.load orchestrates them inside its transaction.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager

from datalake.entity.batch import STREAM
from datalake.entity.parquet import SEQ_COLUMN, curated_key, entity_arrow_schema
from datalake.entity_schema import ENTITY_COLUMNS
from datalake.hourly.id_order import ID_COLUMN, merge_runs

STAGED_READ_ROWS = 10_000  # rows per block read back from a staged file, and per block copied


@contextmanager
def arrow_memory_pool(name: str):
    """Arrow allocates from pool `name` inside the block (when this pyarrow has it), from the
    default pool again after. The load uses jemalloc because pyarrow's default, mimalloc,
    keeps what the load's three threads free (the id-order merge allocates and frees a block
    per run and round); the measurements are in docs/benchmarks.md ("Why the load is as it is")."""
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


class StagedFiles:
    """The run's staged files, each streamed once from S3 to a local temporary file (a
    batch's staged file grows with the hour, the load's memory must not), then read twice:
    the keys first, the surviving rows after the dedupe that the keys feed."""

    def __init__(self, client, bucket: str, staged_keys: list[str]):
        self.client, self.bucket, self.staged_keys = client, bucket, staged_keys
        self._files: list = []

    def paths(self) -> list[str]:
        import tempfile

        for key in self.staged_keys[len(self._files) :]:  # the ones not downloaded yet
            tmp = tempfile.NamedTemporaryFile(prefix="staged-", suffix=".parquet")
            self._files.append(tmp)
            # One streamed GET, not boto3's download_fileobj (ranged GETs on threads): slower
            # here (docs/benchmarks.md, "Why the load is as it is").
            shutil.copyfileobj(
                self.client.get_object(Bucket=self.bucket, Key=key)["Body"], tmp, 8 << 20
            )
            tmp.flush()
        return [tmp.name for tmp in self._files]

    def batches(self, columns: list[str] | None = None):
        """Every staged row's `columns` (all when None), in blocks of STAGED_READ_ROWS, in file
        order."""
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
                mask = kept_mask(table.column(SEQ_COLUMN), survivors)
                yield table if mask.true_count == len(mask) else table.filter(mask)

        runs = []
        for path in self.paths():
            parquet = pq.ParquetFile(path)
            for groups in runs_of_row_groups(parquet.metadata):
                runs.append(run(parquet, groups))
        return runs

    def rows_of(self, ids: set[str], seqs) -> dict[int, tuple]:
        """The staged rows of `seqs` ({_seq: ENTITY_COLUMNS values}), reading only the row
        groups whose id range (Parquet statistics) holds one of `ids`: a handful of rows."""
        import pyarrow.parquet as pq

        wanted = set(seqs)
        found: dict[int, tuple] = {}
        for path in self.paths():
            parquet = pq.ParquetFile(path)
            column = parquet.schema_arrow.get_field_index(ID_COLUMN)
            for group in range(parquet.metadata.num_row_groups):
                stats = parquet.metadata.row_group(group).column(column).statistics
                if (
                    stats is not None
                    and stats.has_min_max
                    and not any(stats.min <= i <= stats.max for i in ids)
                ):
                    continue
                table = parquet.read_row_group(group)
                for row in table.to_pylist():
                    if row[SEQ_COLUMN] in wanted:
                        found[row[SEQ_COLUMN]] = tuple(row[c] for c in ENTITY_COLUMNS)
        return found

    def close(self) -> None:
        for tmp in self._files:
            tmp.close()
        self._files.clear()


def runs_of_row_groups(metadata) -> list[list[int]]:
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


def surviving_blocks(
    staged: StagedFiles,
    survivors,
    curated: CuratedFiles,
    background,
    winners,
    winner_rows: WinnerRows,
):
    """The staged rows that survived the dedupe, in id order (id_order: the key's B-tree then
    fills leaf after leaf), block by block: each block goes to the warehouse (the caller), to
    the curated files (written by `background`, one block behind, so both cores work) and,
    for the rows whose _seq is in `winners`, to `winner_rows`."""
    pending = None
    for table in merge_runs(staged.runs(survivors), min_rows=STAGED_READ_ROWS):
        seqs = table.column(SEQ_COLUMN)
        table = table.select(list(ENTITY_COLUMNS))
        winner_rows.write(table.filter(kept_mask(seqs, winners)))
        if pending is not None:
            pending.result()
        pending = background.submit(curated.write, table)
        yield table
    if pending is not None:
        pending.result()


def sorted_seqs(conn, select_file: str):
    """The _seq values `select_file` selects, sorted, as a numpy array: 8 bytes a row, no
    Python object per row. PostgreSQL packs them into one bytea (big-endian int8s), read as
    one value: reading them row by row kept the load's Python thread busy while PostgreSQL
    waited (docs/benchmarks.md, "Why the load is as it is")."""
    import numpy as np

    from datalake.sqlfiles import statement_of

    (packed,) = conn.execute(
        statement_of("entity_operations/sorted_seqs.sql", query=statement_of(select_file))
    ).fetchone()
    if packed is None:  # no row
        return np.empty(0, dtype=np.int64)
    seqs = np.frombuffer(packed, dtype=">i8").astype(
        np.int64
    )  # the one copy: native order, writable
    seqs.sort()
    return seqs


class WinnerRows:
    """current_entities' new rows, taken from the staged blocks as they pass: an Arrow IPC file
    on disk (a winner per touched entity can be most of the hour), read back block by block for
    their COPY. PostgreSQL then writes them once, instead of finding them again by id in
    entity_operations (a hash join over the whole table, which would grow with history)."""

    def __init__(self):
        self._file = (
            None  # made with the first winner: Redshift's load and an hour of deletes need none
        )
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


def kept_mask(seqs, survivors):
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
        months = pc.unique(
            pc.binary_join_element_wise(table["year"], table["month"], "-")
        ).to_pylist()
        for ym in sorted(months):
            year, month = ym.split("-")
            # Most blocks are one month: no filtered copy of 15 MB of rows then.
            part = (
                table
                if len(months) == 1
                else table.filter(
                    pc.and_(pc.equal(table["year"], year), pc.equal(table["month"], month))
                )
            )
            if (year, month) not in self._files:
                tmp = tempfile.TemporaryFile()
                self._files[(year, month)] = (
                    tmp,
                    pq.ParquetWriter(tmp, schema, compression="zstd"),
                )
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
