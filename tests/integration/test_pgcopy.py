"""datalake.pgcopy against the real PostgreSQL: Arrow blocks in, the same values out."""

from __future__ import annotations

import threading

import psycopg
import pyarrow as pa
import pytest

from datalake.pgcopy import copy_arrow

TRICKY = [
    "",
    "plain",
    'quo"te',
    "comma,semi;colon",
    "new\nline\r\n",
    "back\\slash \\N",
    "NULL",
    "ünï€ode 🙂",
    "\t tab",
    "x" * 70_000,
]


def _block(texts, numbers):
    return pa.table(
        {
            "t": pa.array(texts, pa.string()),
            "n": pa.array(numbers, pa.int64()),
            "ignored": pa.array([1] * len(texts), pa.int32()),
        }
    )


@pytest.fixture
def conn(warehouse_conn):
    warehouse_conn.execute("CREATE TEMP TABLE copied (t varchar, n bigint, pos serial)")
    return warehouse_conn


def test_values_round_trip_exactly(conn):
    texts = TRICKY + [None]
    numbers = list(range(len(texts) - 1)) + [None]
    blocks = [_block(texts[:4], numbers[:4]), _block(texts[4:], numbers[4:]).to_batches()[0]]
    assert copy_arrow(conn, "copied", ("t", "n"), blocks) == len(texts)
    assert conn.execute("SELECT t, n FROM copied ORDER BY pos").fetchall() == list(
        zip(texts, numbers, strict=False)
    )


def test_columns_are_matched_by_name_not_position(conn):
    block = pa.table({"n": pa.array([7], pa.int64()), "t": pa.array(["seven"], pa.string())})
    copy_arrow(conn, "copied", ("t", "n"), [block])
    assert conn.execute("SELECT t, n FROM copied").fetchall() == [("seven", 7)]


def test_no_blocks_copy_nothing(conn):
    assert copy_arrow(conn, "copied", ("t", "n"), iter([]), ahead=True) == 0
    assert conn.execute("SELECT COUNT(*) FROM copied").fetchone()[0] == 0


def _prefetch_threads() -> int:
    # Counted by name: other tests' threads (servers, Airflow) may end at any time.
    return sum(t.name == "prefetch" and t.is_alive() for t in threading.enumerate())


@pytest.mark.parametrize("ahead", [False, True])
def test_a_rejected_value_fails_the_copy_and_stops_the_reader(conn, ahead):
    assert _prefetch_threads() == 0
    started = []

    def blocks():
        started.append(_prefetch_threads())
        for _ in range(5):
            yield _block(["ok", "nul\x00inside"], [1, 2])

    with pytest.raises(psycopg.Error):
        copy_arrow(conn, "copied", ("t", "n"), blocks(), ahead=ahead)
    assert started == [1 if ahead else 0]
    assert _prefetch_threads() == 0


def test_a_block_with_other_types_is_refused(conn):
    other = pa.table({"t": pa.array([1], pa.int64()), "n": pa.array([2], pa.int64())})
    with pytest.raises(ValueError):  # pgpq refuses the block: ColumnTypeMismatch
        copy_arrow(conn, "copied", ("t", "n"), [_block(["a"], [1]), other])
