"""Conflicting duplicates: an event id another arrival hour already loaded, delivered again
with different content.

At-least-once delivery repeats events byte for byte, and such a copy is a duplicate like any
other (counted, dropped). A copy whose content differs is not a re-delivery but a second
version under the same id: which one a reader sees must not depend silently on the order the
hours were processed. The first loaded stays (ownership, docs/design.md "Duplicates and
reruns"); the other is quarantined with reason ``conflicting_duplicate``, its delivered bytes
and both versions' content hashes, and counted under that reason in the manifest, not among
the duplicates.

Content = the 13 columns of the row, as normalised (so key order or whitespace in the
delivered JSON matter as little as they do in the warehouse): sha256 over the values, each
length-prefixed, NULL distinct from "".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from datalake.entity.parquet import SEQ_COLUMN
from datalake.entity_schema import ENTITY_COLUMNS
from datalake.sqlfiles import query_file

CONFLICTING_DUPLICATE = "conflicting_duplicate"
_IN_LIST = 1000  # ids per IN list


@dataclass(frozen=True)
class Conflict:
    id: str
    seq: int
    loaded_by: str  # run key of the hour that loaded the id
    loaded_hash: str
    copy_hash: str


def content_hash(values) -> str:
    digest = hashlib.sha256()
    for value in values:
        if value is None:
            digest.update(b"N")
            continue
        data = value if isinstance(value, bytes) else str(value).encode("utf-8")
        digest.update(b"V" + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _quoted(columns) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def loaded_rows(conn, ids: list[str]) -> dict[str, tuple]:
    rows = {}
    for start in range(0, len(ids), _IN_LIST):
        part = ids[start : start + _IN_LIST]
        params = {f"id_{i}": value for i, value in enumerate(part)}
        placeholders = ", ".join(f"%({name})s" for name in params)
        for row in query_file(
            conn,
            "entity_operations/loaded_rows.sql",
            params,
            columns=_quoted(ENTITY_COLUMNS),
            ids=placeholders,
        ):
            rows[row[0]] = row
    return rows


def staged_rows_redshift(conn, seqs: list[int]) -> dict[int, tuple]:
    rows = {}
    for start in range(0, len(seqs), _IN_LIST):
        inline = ", ".join(str(int(seq)) for seq in seqs[start : start + _IN_LIST])
        columns = _quoted((*ENTITY_COLUMNS, SEQ_COLUMN))
        for row in query_file(conn, "redshift/staged_rows.sql", columns=columns, seqs=inline):
            rows[row[-1]] = row[:-1]
    return rows


def find_conflicts(conn, run_key: str, staged_rows) -> list[Conflict]:
    """The conflicting copies among this run's staged first copies of ids other hours loaded.
    `staged_rows(ids, seqs)` gives the staged rows of those seqs as {seq: 13 values}. Call
    before the dedupe drops them."""
    foreign = query_file(conn, "entity_operations/foreign_copies.sql", {"run_key": run_key})
    if not foreign:
        return []
    copies = staged_rows({row[0] for row in foreign}, [row[1] for row in foreign])
    loaded = loaded_rows(conn, [row[0] for row in foreign])
    conflicts = []
    for event_id, seq, owner in foreign:
        loaded_hash, copy_hash = content_hash(loaded[event_id]), content_hash(copies[seq])
        if loaded_hash != copy_hash:
            conflicts.append(Conflict(event_id, seq, owner, loaded_hash, copy_hash))
    return conflicts


def delivered_bytes(
    client, lake_bucket: str, counts: list[dict], seqs: set[int]
) -> dict[int, tuple[str, int, bytes]]:
    """For the given seqs: where each record came from (source object, position) and its bytes
    as delivered, from the batches' source lists (entity/batch.py) and the landing objects
    (b"" when the object is gone by now)."""
    import io

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from datalake.hourly.extract import read_landing_object
    from datalake.hourly.records import split_records

    by_object: dict[tuple[str, str], dict[int, int]] = {}
    for batch in counts:
        if not batch.get("sources_key"):
            continue
        body = client.get_object(Bucket=lake_bucket, Key=batch["sources_key"])["Body"].read()
        table = pq.read_table(io.BytesIO(body))
        wanted = pa.array(sorted(seqs), pa.int64())
        table = table.filter(pc.is_in(table.column(SEQ_COLUMN), value_set=wanted))
        columns = (table.column(c).to_pylist() for c in (SEQ_COLUMN, "source_key", "position"))
        for seq, key, position in zip(*columns, strict=False):
            by_object.setdefault((batch["source_bucket"], key), {})[position] = seq
    found = {}
    for (bucket, key), positions in by_object.items():
        for position, seq in positions.items():
            found[seq] = (key, position, b"")
        body = read_landing_object(client, bucket, key)
        for record in split_records(body or b""):
            if record.position in positions:
                found[positions[record.position]] = (key, record.position, record.raw)
    return found


def quarantine_conflicts(
    client,
    lake_bucket: str,
    run_key: str,
    attempt: str,
    counts: list[dict],
    conflicts: list[Conflict],
) -> str:
    """The conflicting copies as one quarantine file of the run's attempt (published with the
    others by the load): delivered bytes, source, and what they conflict with."""
    from datalake.entity.batch import STREAM
    from datalake.hourly.lake import attempt_quarantine_prefix
    from datalake.hourly.quarantine import QuarantineRecord, write_quarantine

    delivered = delivered_bytes(client, lake_bucket, counts, {c.seq for c in conflicts})
    records = []
    for conflict in conflicts:
        key, position, raw = delivered.get(conflict.seq, ("", -1, b""))
        records.append(
            QuarantineRecord(
                key,
                position,
                CONFLICTING_DUPLICATE,
                raw,
                conflict={
                    "id": conflict.id,
                    "loaded_by": conflict.loaded_by,
                    "loaded_hash": conflict.loaded_hash,
                    "copy_hash": conflict.copy_hash,
                },
            )
        )
    records.sort(key=lambda r: (r.source_key, r.position))
    key = f"{attempt_quarantine_prefix(STREAM, run_key, attempt)}conflicts.jsonl.gz"
    return write_quarantine(client, lake_bucket, key, records)
