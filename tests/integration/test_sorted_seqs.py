"""datalake.entity.staged_files.sorted_seqs against the real PostgreSQL: the seqs a query file
selects, packed by the server into one bytea, come back as exactly those int64s, sorted."""

from __future__ import annotations

import numpy as np
import pytest

from datalake.entity.staged_files import sorted_seqs


@pytest.fixture
def conn(warehouse_conn):
    warehouse_conn.execute("CREATE TEMP TABLE stage_keys (_seq bigint NOT NULL)")
    return warehouse_conn


def test_no_row_gives_an_empty_array(conn):
    seqs = sorted_seqs(conn, "entity_operations/surviving_seqs.sql")
    assert seqs.dtype == np.int64 and len(seqs) == 0


def test_every_seq_comes_back_sorted(conn):
    # _seq = batch * 2**32 + ordinal: values past 32 bits, inserted out of order.
    values = [3 * 2**32 + 7, 0, 2**32, 5, 2**62 + 1, 3 * 2**32, 1]
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO stage_keys VALUES (%s)", [(v,) for v in values])
    seqs = sorted_seqs(conn, "entity_operations/surviving_seqs.sql")
    assert seqs.dtype == np.int64
    assert seqs.tolist() == sorted(values)
