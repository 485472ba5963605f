"""Rows in event-id order, from runs that are each in id order, in bounded memory.

Why: `entity_operations`' key is a B-tree on `id`, and event ids are random UUIDs. Rows
copied in delivery order land on random leaf pages of the key, one descent and (once the key
outgrows the buffer cache) one page miss each; in id order consecutive rows land on the same
or the next leaf (measured: docs/benchmarks.md, "Why the load is as it is").

The process step stages each chunk sorted by id (as small Parquet row groups: a *run*);
the load merges the runs here (a k-way merge on the keys, one block of every run in memory)
before its COPY. Runs are merged at most MERGE_FAN_IN at a time: with more runs than that
(an hour of many millions of events), each group of runs comes out in id order after the
one before, so memory stays bounded and most of the locality remains.
"""

from __future__ import annotations

from typing import Iterable, Iterator

MERGE_FAN_IN = 64
MERGE_STEP_ROWS = 250
ID_COLUMN = "id"


def sort_by_id(table):
    """`table` in id order (a staged run, a round of the merge)."""
    import pyarrow.compute as pc

    return table.take(pc.sort_indices(table.column(ID_COLUMN)))


def _next_block(run: Iterator):
    """The run's next block with rows, or None when the run is done."""
    for block in run:
        if block.num_rows:
            return block
    return None


def merge_runs(runs: Iterable[Iterable], min_rows: int = 10_000) -> Iterator:
    """Arrow tables of the runs' rows in id order, each of at least `min_rows` rows (but the
    last). Every run is an iterable of tables (or record batches) in id order, ids unique
    across runs, same schema everywhere."""
    runs = list(runs)
    for start in range(0, len(runs), MERGE_FAN_IN):
        yield from _merge_group([iter(r) for r in runs[start : start + MERGE_FAN_IN]], min_rows)


class _Head:
    """A run's current block, its keys as a numpy array (binary search, not a kernel call per
    round) and how many of its rows are out."""

    __slots__ = ("run", "block", "keys", "at")

    def __init__(self, run: Iterator):
        self.run = run
        self.advance()

    def advance(self) -> None:
        block = _next_block(self.run)
        self.block = _as_table(block) if block is not None else None
        self.keys = (
            self.block.column(ID_COLUMN).to_numpy(zero_copy_only=False)
            if block is not None
            else None
        )
        self.at = 0


def _merge_group(runs: list[Iterator], min_rows: int) -> Iterator:
    """The merge works on the keys: each round finds, per run, how many of its current block's
    rows go out before any row still to come (the blocks being sorted, a binary search), and
    only slices; the rows are gathered once per output table, put in order by one take."""
    import numpy as np
    import pyarrow as pa

    heads = [head for head in (_Head(run) for run in runs) if head.block is not None]
    pending: list = []  # slices of blocks: each run's in order, the runs interleaved
    pending_rows = 0
    while heads:
        # Every row up to the smallest of the heads' next MERGE_STEP_ROWS-th keys can go out:
        # the rows still to come in every run are past it. (Not the blocks' last keys: a block
        # spans a tenth of the keys of a 25 000-row run, and a round would then hold a tenth
        # of the hour.)
        bound = min(head.keys[min(head.at + MERGE_STEP_ROWS, len(head.keys)) - 1] for head in heads)
        for head in heads:
            end = int(np.searchsorted(head.keys, bound, side="right"))
            if end > head.at:
                pending.append(head.block.slice(head.at, end - head.at))
                pending_rows += end - head.at
                head.at = end
            if head.at == len(head.keys):
                head.advance()
        heads = [head for head in heads if head.block is not None]
        if pending_rows >= min_rows or not heads:
            # Every pending row precedes every row still to come: sorting them is enough.
            rows = pa.concat_tables(pending)
            pending, pending_rows = [], 0
            yield sort_by_id(rows)


def _as_table(block):
    import pyarrow as pa

    return block if isinstance(block, pa.Table) else pa.Table.from_batches([block])
