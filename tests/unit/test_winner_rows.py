"""datalake.entity.staged_files.WinnerRows: current_entities' rows kept on disk during the pass over the
staged files, read back whole and in order."""

from __future__ import annotations

import pyarrow as pa

from datalake.entity.staged_files import WinnerRows


def _rows(ids):
    return pa.table({"id": pa.array(ids, pa.string()), "detail": pa.array([f'{{"n":"{i}"}}' for i in ids])})


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
