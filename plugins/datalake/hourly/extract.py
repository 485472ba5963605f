"""Extract an hourly batch, whatever the stream: read its landing objects, split them into
records, shape each record (the stream's normaliser or flattener), drop repeated event ids,
quarantine what does not parse; count it all in BatchCounts (the batch's XCom)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

from datalake.hourly.quarantine import QuarantineRecord
from datalake.hourly.records import EMPTY_OBJECT, split_records

SEQ_STRIDE = 1 << 32  # _seq = batch index * stride + ordinal within the batch
# An object listed, then deleted before it was read: one quarantined record of its own.
OBJECT_MISSING = "object_missing"
DEFAULT_MAX_FUTURE_SKEW_MINUTES = 15


def max_future_skew_minutes() -> int:
    """How far after the end of its arrival hour an event time may lie."""
    return int(os.environ.get("DATALAKE_MAX_FUTURE_SKEW_MINUTES", DEFAULT_MAX_FUTURE_SKEW_MINUTES))


# A key ending in "/" (what consoles and some tools create for a "folder"): not read.
DIRECTORY_MARKER = "directory_marker"


class LandingReadError(RuntimeError):
    """A landing object could not be read although it exists (after boto3's retries)."""


def read_landing_object(client, bucket: str, key: str) -> bytes | None:
    """The object's bytes, or None when it was deleted since the listing (a retry would not
    bring it back). Throttling and 5xx are retried with backoff by the client (s3_client:
    botocore retry mode standard); what is left fails naming the object."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") in ("NoSuchKey", "404"):
            return None
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        raise LandingReadError(
            f"cannot read landing object s3://{bucket}/{key}: {error.get('Code')} "
            f"{error.get('Message', '')} after {attempts} attempt(s)"
        ) from exc
    except BotoCoreError as exc:  # connection lost, body cut while streaming, ...
        raise LandingReadError(f"cannot read landing object s3://{bucket}/{key}: {exc}") from exc


@dataclass
class BatchCounts:
    batch: int
    attempt: str | None = None  # the run's attempt (lake.py): where its files are
    objects: int = 0
    records_read: int = 0
    parsed: int = 0
    duplicates_in_batch: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    # Objects that hold no record (zero bytes, only whitespace or a BOM, a directory marker):
    # key -> why. Reported in the manifest; no record, so nothing for the quarantine gate.
    skipped_objects: dict[str, str] = field(default_factory=dict)
    valid: int = 0
    staged_key: str | None = None
    # Where the staged rows came from: a Parquet list of (_seq, source_key, position) in the
    # lake, and the bucket of those source objects (the landing zone; the lake for a replay).
    sources_key: str | None = None
    source_bucket: str | None = None
    quarantine_key: str | None = None
    expectation_results: list[dict] = field(default_factory=list)
    results_key: str | None = None  # GX validation results kept for the Data Docs

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def batch_file_name(batch: int) -> str:
    return f"batch-{batch:05d}"


def iter_extracted(
    client,
    bucket: str,
    keys: list[str],
    counts: BatchCounts,
    rejects: list[QuarantineRecord],
    shape: Callable[[dict], object],
    event_id: Callable[[object], str | None],
    shape_errors: tuple[type[Exception], ...],
    chunk_records: int | None = None,
    content: Callable[[object], str] | None = None,
):
    """Every record of the objects, shaped by `shape`, in delivery order, with the raw bytes
    behind each, as (shaped, sources) chunks of about `chunk_records` records (one chunk when
    None). A record that does not parse, or that `shape` rejects (one of `shape_errors`, whose
    message is the reason), is quarantined. A later copy of an event id in the same chunk is
    dropped as a duplicate when its `content` hash is the first copy's (or when no `content`
    is given); one with other content follows the batch's other records, in extra chunks
    that hold an id once each (the suites expect an id once per chunk), so the first copy
    keeps the lowest _seq: the load compares it with the hour's first copy and quarantines
    it (hourly/conflicts.py). Only repeated ids are hashed here.
    The ids seen are kept per chunk, so memory follows the chunk and not the batch: a copy in
    a later chunk is staged, and the load's dedupe (first delivered copy wins, as here)
    drops it and counts it with the run's duplicates, or quarantines it."""
    shaped: list = []
    sources: list[tuple[str, int, bytes]] = []
    seen: dict[str, int] = {}  # id -> index of its first copy in `shaped`
    # id -> its copies whose content differs from the first copy in their chunk
    other_versions: dict[str, list] = {}
    for key in keys:
        counts.objects += 1
        if key.endswith("/"):
            counts.skipped_objects[key] = DIRECTORY_MARKER
            continue
        body = read_landing_object(client, bucket, key)
        if body is None:  # listed, then deleted: one record of the object, with its reason
            counts.records_read += 1
            rejects.append(QuarantineRecord(key, 0, OBJECT_MISSING, b""))
            continue
        for record in split_records(body):
            if record.error == EMPTY_OBJECT:  # the object's only "record": nothing in it
                counts.skipped_objects[key] = EMPTY_OBJECT
                continue
            counts.records_read += 1
            if record.error:
                rejects.append(
                    QuarantineRecord(
                        key,
                        record.position,
                        record.error,
                        record.raw,
                        byte_offset=record.offset,
                        object_offset=record.object_offset,
                    )
                )
                continue
            try:
                item = shape(record.value)
            except shape_errors as exc:
                rejects.append(QuarantineRecord(key, record.position, str(exc), record.raw))
                continue
            counts.parsed += 1
            identity = event_id(item)
            if identity is not None:
                first = seen.get(identity)
                if first is None:
                    seen[identity] = len(shaped)
                elif content is None or content(shaped[first]) == content(item):
                    counts.duplicates_in_batch += 1
                    continue
                else:
                    copy = (item, (key, record.position, record.raw))
                    other_versions.setdefault(identity, []).append(copy)
                    continue
            shaped.append(item)
            sources.append((key, record.position, record.raw))
            if chunk_records and len(shaped) >= chunk_records:
                yield shaped, sources
                shaped, sources, seen = [], [], {}
        del body
    if shaped or not chunk_records:
        yield shaped, sources
    yield from _rounds(other_versions)


def _rounds(copies_by_id: dict[str, list]):
    """The copies as (shaped, sources) chunks, the n-th copy of each id in the n-th chunk, in
    delivery order."""
    for n in range(max(map(len, copies_by_id.values()), default=0)):
        part = [copies[n] for copies in copies_by_id.values() if len(copies) > n]
        yield [item for item, _ in part], [source for _, source in part]


def extract_records(
    client,
    bucket: str,
    keys: list[str],
    counts: BatchCounts,
    rejects: list[QuarantineRecord],
    shape: Callable[[dict], object],
    event_id: Callable[[object], str | None],
    shape_errors: tuple[type[Exception], ...],
    content: Callable[[object], str] | None = None,
):
    """iter_extracted's chunks as a list: all records in the first (shaped, sources) but the
    later copies with other content than their id's first copy, which follow in their own."""
    return list(
        iter_extracted(
            client, bucket, keys, counts, rejects, shape, event_id, shape_errors, content=content
        )
    )
