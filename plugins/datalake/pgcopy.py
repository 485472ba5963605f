"""Arrow tables into PostgreSQL with ``COPY ... FROM STDIN (FORMAT binary)``.

pgpq encodes Arrow columns in PostgreSQL's binary COPY format, so the server reads each
value as a length and its bytes. With CSV it has to scan every byte for quotes and
delimiters (measured: docs/benchmarks.md, "Why the load is as it is"). The pipeline's load
and the benchmark's floor both use this, so both pay the same COPY.

Not used for Redshift, which loads from S3 with its own COPY.
"""

from __future__ import annotations

import itertools
from typing import Iterable, Iterator

from datalake.sqlfiles import statement_of


def encoded_blocks(
    blocks: Iterable, columns: tuple[str, ...] | list[str]
) -> Iterator[tuple[int, bytes]]:
    """(rows, bytes) of a binary COPY stream of `blocks` (Arrow tables or record batches with
    at least `columns`, all with the same types): the header, one message per record batch,
    the trailer. Every block must have the first block's schema; pgpq raises otherwise."""
    import pgpq
    import pyarrow as pa

    encoder = None
    for block in blocks:
        block = block.select(list(columns))
        batches = block.to_batches() if isinstance(block, pa.Table) else [block]
        for batch in batches:
            if encoder is None:
                encoder = pgpq.ArrowToPostgresBinaryEncoder(batch.schema)
                yield 0, encoder.write_header()
            yield batch.num_rows, encoder.write_batch(batch)
    if encoder is not None:
        yield 0, encoder.finish()


def copy_arrow(
    conn, table: str, columns: tuple[str, ...] | list[str], blocks: Iterable, ahead: bool = False
) -> int:
    """COPY `blocks` (their `columns`, in that order) into `table`; returns the rows copied.
    With `ahead`, a thread makes and encodes the next block while PostgreSQL stores this one
    (at most two blocks in memory). Nothing is sent when there are no blocks."""
    encoded = encoded_blocks(blocks, columns)
    if ahead:
        encoded = prefetched(encoded)
    try:
        first = next(encoded, None)
        if first is None:
            return 0
        names = ", ".join(f'"{c}"' for c in columns)
        rows = 0
        with conn.cursor().copy(
            statement_of("copy/binary_from_stdin.sql", table=table, columns=names)
        ) as copy:
            for count, data in itertools.chain([first], encoded):
                copy.write(data)
                rows += count
        return rows
    finally:
        encoded.close()  # stops the prefetch thread also when the COPY failed


def prefetched(iterable, depth: int = 1):
    """Iterate `iterable` in a thread, `depth` items ahead of the consumer (pyarrow, pgpq and
    the socket release the GIL, so the producer and the consumer use both cores)."""
    import queue
    import threading

    items: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def put(item) -> bool:
        # Never blocks for good: once the consumer has stopped, nobody takes from the queue.
        while not stop.is_set():
            try:
                items.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in iterable:
                if not put(item):
                    return
            put(done)
        except BaseException as exc:  # handed to the consumer
            put(exc)

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
