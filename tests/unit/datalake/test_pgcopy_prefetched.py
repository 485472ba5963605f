"""datalake.pgcopy.prefetched: the reader thread ends whenever the consumer stops."""

from __future__ import annotations

import threading
import time

import pytest

from datalake.pgcopy import prefetched


def _prefetch_threads() -> int:
    return sum(t.name == "prefetch" and t.is_alive() for t in threading.enumerate())


def test_items_arrive_in_order():
    assert list(prefetched(iter(range(50)))) == list(range(50))


def test_a_producer_error_reaches_the_consumer():
    def failing():
        yield 1
        raise ValueError("broken block")

    reader = prefetched(failing())
    assert next(reader) == 1
    with pytest.raises(ValueError, match="broken block"):
        next(reader)
    assert _prefetch_threads() == 0


@pytest.mark.parametrize("items", [range(5), range(2)], ids=["mid-way", "end-marker-pending"])
def test_the_reader_stops_when_the_consumer_does(items):
    reader = prefetched(iter(items))
    assert next(reader) == 0
    time.sleep(0.2)  # let the reader fill the queue and wait to put the next item (or the end)
    closing = threading.Thread(target=reader.close, daemon=True)
    closing.start()
    closing.join(timeout=5)
    assert not closing.is_alive(), "close() hung: the reader blocked on a full queue"
    assert _prefetch_threads() == 0
