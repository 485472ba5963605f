"""Conflicting duplicates, for both hourly streams: an event id delivered again with different
content, whether another arrival hour already loaded it or an earlier copy came in this hour.

At-least-once delivery repeats events byte for byte, and such a copy is a duplicate like any
other (counted, dropped). A copy whose content differs is not a re-delivery but a second
version under the same id: which one a reader sees must not depend silently on the order the
hours were processed. The first loaded stays (ownership, docs/design.md "Duplicates and
reruns"); the other is quarantined with reason ``conflicting_duplicate``, its delivered bytes
and both versions' content hashes, and counted under that reason in the manifest, not among
the duplicates. Within one hour the first delivered copy is kept (lowest _seq, so a rerun
keeps the same one) and each later copy is compared with it: a batch drops a copy identical to
the first copy of its id in the same chunk (extract.py) and stages any other, and the load
compares the later staged copies with the first (entity: later_copies.sql, then the rows
hashed here; workflow: the staged hashes, later_copies.sql). Only repeated ids are hashed.

Content is what the warehouse stores of an event, as normalised (so key order or whitespace
in the delivered JSON matter as little as they do there): :func:`content_hash` over those
values. Each stream says which values (entity/conflicts.py: the 13 columns of the row;
workflow/flatten.py: the event's facts and its rows of the five tables).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson

from datalake.hourly.lake import run_attempt

CONFLICTING_DUPLICATE = "conflicting_duplicate"
SEQ_COLUMN = "_seq"  # both streams' delivery order of a staged record within its run


@dataclass(frozen=True)
class Conflict:
    id: str
    seq: int
    # Run key of the hour that loaded the id; this hour for a copy that differs from the
    # hour's first copy (then loaded_hash is that first copy's hash).
    loaded_by: str
    loaded_hash: str
    copy_hash: str

    def fields(self) -> dict:
        """What the quarantine record says about the conflict."""
        return {
            "id": self.id,
            "loaded_by": self.loaded_by,
            "loaded_hash": self.loaded_hash,
            "copy_hash": self.copy_hash,
        }


def content_hash(values) -> str:
    """sha256 over the values as one JSON array (orjson, fast enough to hash every workflow
    event where it is flattened): NULL distinct from "", timestamps in RFC 3339, what JSON has
    no type for as its str(). What orjson refuses (a lone surrogate, an integer past 64 bits)
    goes through _length_prefixed: the same values always take the same way."""
    values = list(values)
    try:
        data = orjson.dumps(values, default=str)
    except orjson.JSONEncodeError:
        data = _length_prefixed(values)
    return hashlib.sha256(data).hexdigest()


def _length_prefixed(values: list) -> bytes:
    parts = []
    for value in values:
        if value is None:
            parts.append(b"N")
            continue
        data = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
        parts.append(b"V" + len(data).to_bytes(8, "big") + data)
    return b"".join(parts)


def write_sources(client, bucket: str, key: str, columns: dict[str, list]) -> str:
    """Where each staged record came from, by _seq: the load reads it back only to quarantine
    a conflicting duplicate with its delivered bytes."""
    import pyarrow as pa

    from datalake.hourly.lake import put_parquet

    table = pa.table(
        {
            SEQ_COLUMN: pa.array(columns[SEQ_COLUMN], pa.int64()),
            "source_key": pa.array(columns["source_key"], pa.string()).dictionary_encode(),
            "position": pa.array(columns["position"], pa.int64()),
        }
    )
    put_parquet(client, bucket, key, table)
    return key


def delivered_bytes(
    client, lake_bucket: str, counts: list[dict], seqs: set[int]
) -> dict[int, tuple[str, int, bytes]]:
    """For the given seqs: where each record came from (source object, position) and its bytes
    as delivered, from the batches' source lists (write_sources) and the landing objects
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
    stream: str,
    run_key: str,
    attempt: str,
    counts: list[dict],
    conflicts: list[Conflict],
) -> str:
    """The conflicting copies as one quarantine file of the run's attempt (published with the
    others by the load): delivered bytes, source, and what they conflict with."""
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
                conflict=conflict.fields(),
            )
        )
    records.sort(key=lambda r: (r.source_key, r.position))
    key = f"{attempt_quarantine_prefix(stream, run_key, attempt)}conflicts.jsonl.gz"
    return write_quarantine(client, lake_bucket, key, records)


def account_conflicts(
    client,
    lake_bucket: str,
    stream: str,
    manifest,
    dropped: tuple[int, int],
    counts,
    conflicts: tuple[list[Conflict], list[Conflict]],
) -> None:
    """The manifest's counts of the copies the dedupe dropped, `dropped` = (later copies of
    ids staged twice in this run, copies of ids other hours loaded), with `conflicts` the
    conflicting ones among each: those move from the duplicates to the quarantine (added to
    the batches' own), with their quarantine file (in the run's attempt)."""
    in_run, across_runs = conflicts
    manifest.duplicates_in_run = dropped[0] - len(in_run)
    manifest.duplicates_already_loaded = dropped[1] - len(across_runs)
    conflicts = in_run + across_runs
    if not conflicts:
        return
    quarantined = dict(manifest.quarantined)
    quarantined[CONFLICTING_DUPLICATE] = quarantined.get(CONFLICTING_DUPLICATE, 0) + len(conflicts)
    manifest.quarantined = dict(sorted(quarantined.items()))
    attempt = run_attempt(counts)
    manifest.quarantine_files.append(
        quarantine_conflicts(
            client, lake_bucket, stream, manifest.run_key, attempt, counts, conflicts
        )
    )
