"""The load's filter of staged rows by the _seq numbers that survived the dedupe."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from datalake.entity.staged_files import kept_mask


@pytest.mark.parametrize("survivors", [[], [0], [5], [2, 3, 5, 8, 13, 1 << 40], list(range(0, 200, 3))])
def test_mask_is_membership(survivors):
    seqs = pa.array([0, 1, 2, 3, 5, 7, 8, 13, 14, 99, 198, 1 << 40, (1 << 40) + 1, -1], pa.int64())
    mask = kept_mask(seqs, np.array(sorted(survivors), dtype=np.int64))
    expected = pc.is_in(seqs, value_set=pa.array(survivors, pa.int64()))
    assert mask.to_pylist() == expected.to_pylist()


def test_empty_block():
    assert kept_mask(pa.array([], pa.int64()), np.array([1, 2], dtype=np.int64)).to_pylist() == []
