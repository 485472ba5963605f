"""The k-way merge that puts the load's rows in event-id order (datalake.hourly.id_order)."""

import random

import pyarrow as pa
import pytest

from datalake.hourly import id_order
from datalake.hourly.id_order import merge_runs, sort_by_id


def _runs(rng: random.Random, sizes: list[int], block: int):
    """Runs of unique random ids, each sorted and cut into blocks (some of them empty)."""
    ids = [f"{rng.getrandbits(64):016x}" for _ in range(sum(sizes))]
    runs, at = [], 0
    for size in sizes:
        table = sort_by_id(pa.table({"id": ids[at : at + size], "n": list(range(at, at + size))}))
        at += size
        blocks = [table.slice(i, block) for i in range(0, size, block)]
        if blocks:
            blocks.insert(rng.randrange(len(blocks)), table.slice(0, 0))
        runs.append(blocks)
    return ids, runs


@pytest.mark.parametrize(
    "sizes,block,min_rows",
    [
        ([1000, 700, 1300, 0, 1], 64, 200),
        ([5000], 100, 1000),
        ([3, 1, 2], 1, 1),
        ([], 10, 10),
        ([50] * 150, 7, 300),  # more runs than MERGE_FAN_IN
    ],
)
def test_every_row_once(sizes, block, min_rows):
    ids, runs = _runs(random.Random(len(sizes) * 31 + block), sizes, block)
    out = list(merge_runs(runs, min_rows=min_rows))
    merged = (
        pa.concat_tables(out)
        if out
        else pa.table({"id": pa.array([], pa.string()), "n": pa.array([], pa.int64())})
    )
    assert sorted(merged.column("n").to_pylist()) == list(range(len(ids)))
    got = merged.column("id").to_pylist()
    if len(sizes) <= id_order.MERGE_FAN_IN:
        assert all(t.num_rows >= min_rows for t in out[:-1])
        assert got == sorted(ids)
    else:  # each group of runs in id order, one group after the other
        groups = [sum(sizes[:i]) for i in range(0, len(sizes) + 1, id_order.MERGE_FAN_IN)] + [
            len(ids)
        ]
        for lo, hi in zip(groups, groups[1:], strict=False):
            assert got[lo:hi] == sorted(got[lo:hi])
        assert got != sorted(got)


def test_record_batches_and_equal_bounds():
    a = pa.RecordBatch.from_pydict({"id": ["a", "c", "e"], "n": [1, 3, 5]})
    b = pa.RecordBatch.from_pydict({"id": ["b", "e0"], "n": [2, 6]})
    c = pa.RecordBatch.from_pydict({"id": ["e1", "f"], "n": [8, 7]})
    out = pa.concat_tables(list(merge_runs([[a], [b, c]], min_rows=1)))
    assert out.column("id").to_pylist() == ["a", "b", "c", "e", "e0", "e1", "f"]


def test_an_unsorted_run_loses_and_repeats_nothing():
    """Order is only for speed: a run out of order still gives every row exactly once."""
    runs = [
        [pa.table({"id": ["d", "a", "c"], "n": [1, 2, 3]})],
        [pa.table({"id": ["b", "e"], "n": [4, 5]})],
    ]
    out = pa.concat_tables(list(merge_runs(runs, min_rows=1)))
    assert sorted(out.column("n").to_pylist()) == [1, 2, 3, 4, 5]


def test_runs_of_row_groups_follow_the_id_statistics():
    """The load finds the staged runs (chunks sorted by id, written as small row groups) from
    the Parquet statistics."""
    import io

    import pyarrow.parquet as pq

    from datalake.entity.staged_files import runs_of_row_groups

    buf = io.BytesIO()
    chunks = [["a", "b", "c", "d", "e"], ["b1", "c1", "z"], ["0", "1"]]
    with pq.ParquetWriter(buf, pa.schema([("id", pa.string()), ("n", pa.int64())])) as writer:
        for ids in chunks:
            writer.write_table(
                sort_by_id(pa.table({"id": ids, "n": list(range(len(ids)))})), row_group_size=2
            )
    buf.seek(0)
    metadata = pq.ParquetFile(buf).metadata
    assert metadata.num_row_groups == 3 + 2 + 1
    assert runs_of_row_groups(metadata) == [[0, 1, 2], [3, 4], [5]]


def test_row_groups_without_statistics_are_runs_of_their_own():
    import io

    import pyarrow.parquet as pq

    from datalake.entity.staged_files import runs_of_row_groups

    buf = io.BytesIO()
    pq.write_table(
        pa.table({"id": ["a", "b", "c", "d"]}), buf, row_group_size=2, write_statistics=False
    )
    buf.seek(0)
    assert runs_of_row_groups(pq.ParquetFile(buf).metadata) == [[0], [1]]
