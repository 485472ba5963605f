"""datalake.entity.staged_files: WinnerRows (current_entities' rows kept on disk during the
pass over the staged files, read back whole and in order) and kept_mask (the load's filter of
staged rows by the _seq numbers that survived the dedupe)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from datalake.entity.staged_files import WinnerRows, kept_mask


def _rows(ids):
    return pa.table(
        {"id": pa.array(ids, pa.string()), "detail": pa.array([f'{{"n":"{i}"}}' for i in ids])}
    )


def test_rows_come_back_in_order_and_whole():
    winners = WinnerRows()
    try:
        winners.write(_rows(["a", "b"]))
        winners.write(_rows([]))  # a block without winners adds nothing
        winners.write(_rows(["c", "é🙂" * 5000]))
        back = pa.Table.from_batches(list(winners.blocks()))
        assert winners.rows == 4
        assert back.equals(_rows(["a", "b", "c", "é🙂" * 5000]))
    finally:
        winners.close()


def test_no_winners_give_no_blocks():
    winners = WinnerRows()
    try:
        winners.write(_rows([]))
        assert list(winners.blocks()) == [] and winners.rows == 0
    finally:
        winners.close()


@pytest.mark.parametrize(
    "survivors", [[], [0], [5], [2, 3, 5, 8, 13, 1 << 40], list(range(0, 200, 3))]
)
def test_mask_is_membership(survivors):
    seqs = pa.array([0, 1, 2, 3, 5, 7, 8, 13, 14, 99, 198, 1 << 40, (1 << 40) + 1, -1], pa.int64())
    mask = kept_mask(seqs, np.array(sorted(survivors), dtype=np.int64))
    expected = pc.is_in(seqs, value_set=pa.array(survivors, pa.int64()))
    assert mask.to_pylist() == expected.to_pylist()


def test_empty_block():
    assert kept_mask(pa.array([], pa.int64()), np.array([1, 2], dtype=np.int64)).to_pylist() == []
