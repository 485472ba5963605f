"""Parquet in the lake bucket. Names are derived from the run, so a rerun overwrites its
own files; rows are sorted so the same input gives the same bytes."""

from __future__ import annotations

import io

from datalake.entity_schema import ENTITY_COLUMNS
from datalake.s3 import delete_keys

STAGING_ROOT = "_staging"
SEQ_COLUMN = "_seq"  # delivery order across the run's batches: the first copy of an id wins


def entity_arrow_schema(with_seq: bool = False):
    import pyarrow as pa

    fields = [pa.field(name, pa.string()) for name in ENTITY_COLUMNS]
    if with_seq:
        fields.append(pa.field(SEQ_COLUMN, pa.int64()))
    return pa.schema(fields)


def columns_to_table(columns: dict, seqs=None):
    """Entity rows given column-wise (ENTITY_COLUMNS -> values; `detail` may be UTF-8 bytes,
    which go in without a round trip through str), plus `_seq` when `seqs` is given."""
    import pyarrow as pa

    arrays = {}
    for name in ENTITY_COLUMNS:
        values = columns[name]
        if name == "detail" and len(values) and isinstance(values[0], bytes):
            arrays[name] = pa.array(values, pa.binary()).cast(pa.string())  # validates UTF-8
        else:
            arrays[name] = pa.array(values, pa.string())
    if seqs is not None:
        arrays[SEQ_COLUMN] = pa.array(seqs, pa.int64())
    return pa.table(arrays, schema=entity_arrow_schema(with_seq=seqs is not None))


def table_to_parquet_bytes(table) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=True)
    return buf.getvalue()


def put_parquet(client, bucket: str, key: str, table) -> int:
    body = table_to_parquet_bytes(table)
    client.put_object(Bucket=bucket, Key=key, Body=body)
    return len(body)


class StagedParquet:
    """A Parquet file written a table at a time to a temporary file, uploaded on a clean exit:
    memory holds one table, not the file. A table is a row group, or row groups of at most
    `row_group_rows`. With no table written, an empty file (entity rows with `_seq`) is
    uploaded all the same."""

    def __init__(self, client, bucket: str, key: str, row_group_rows: int | None = None):
        self.client, self.bucket, self.key = client, bucket, key
        self.row_group_rows = row_group_rows
        self._tmp = None
        self._writer = None

    def __enter__(self):
        import tempfile

        self._tmp = tempfile.TemporaryFile()
        return self

    def write(self, table) -> None:
        import pyarrow.parquet as pq

        if self._writer is None:
            self._writer = pq.ParquetWriter(self._tmp, table.schema, compression="zstd", write_statistics=True)
        self._writer.write_table(table, row_group_size=self.row_group_rows)

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                if self._writer is None:
                    self.write(entity_arrow_schema(with_seq=True).empty_table())
                self._writer.close()
                self._tmp.seek(0)
                self.client.upload_fileobj(self._tmp, self.bucket, self.key)
            elif self._writer is not None:
                self._writer.close()
        finally:
            self._tmp.close()
        return False


def read_parquet(client, bucket: str, key: str):
    import pyarrow.parquet as pq

    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body))


def staging_prefix(stream: str, run_key: str) -> str:
    return f"{STAGING_ROOT}/{stream}/{run_key}/"


# Runs of the same arrival hour may overlap (a scheduled run and a manual window over it, up to
# max_active_runs): each run's plan draws an *attempt* and everything its tasks write before the
# load commits lives under the attempt's own prefixes, so that no run reads, replaces or deletes
# another run's files. The staged Parquet: <attempt>/ (Redshift's COPY reads the whole prefix);
# the quarantine files until the load publishes them: <attempt>.quarantine/; where each staged
# row came from: <attempt>.sources/.
# A run that never reached its load (failed, killed) leaves its attempt behind; the next plan of
# the hour removes attempts older than this (no run lives that long: 45 min tasks, 3 retries).
STALE_ATTEMPT_HOURS = 24


def new_attempt() -> str:
    import uuid

    return uuid.uuid4().hex[:16]


def attempt_prefix(stream: str, run_key: str, attempt: str) -> str:
    return f"{staging_prefix(stream, run_key)}{attempt}/"


def attempt_quarantine_prefix(stream: str, run_key: str, attempt: str) -> str:
    return f"{staging_prefix(stream, run_key)}{attempt}.quarantine/"


def attempt_sources_prefix(stream: str, run_key: str, attempt: str) -> str:
    return f"{staging_prefix(stream, run_key)}{attempt}.sources/"


def run_attempt(batch_counts: list[dict]) -> str:
    """The attempt the batches of one hourly run were processed under (one per run)."""
    attempts = {c.get("attempt") for c in batch_counts}
    if len(attempts) != 1 or None in attempts:
        raise ValueError(f"the batches of one run must share one attempt, got "
                         f"{sorted(map(str, attempts))}")
    return attempts.pop()


def discard_attempt(client, bucket: str, stream: str, run_key: str, attempt: str) -> int:
    """Delete one attempt's files (its staged Parquet and unpublished quarantine files) only."""
    return delete_prefix(client, bucket, f"{staging_prefix(stream, run_key)}{attempt}")


def clear_stale_attempts(client, bucket: str, stream: str, run_key: str, now=None) -> int:
    """Delete what attempts of the hour older than STALE_ATTEMPT_HOURS left (and files of the
    layout before attempts): never the files of a run that may still be going."""
    from datetime import datetime, timedelta, timezone

    cutoff = (now or datetime.now(timezone.utc)) - timedelta(hours=STALE_ATTEMPT_HOURS)
    paginator = client.get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=bucket, Prefix=staging_prefix(stream, run_key))
    stale = [obj["Key"] for page in pages for obj in page.get("Contents", [])
             if obj["LastModified"] < cutoff]
    return delete_keys(client, bucket, stale)


def curated_key(stream: str, year: str, month: str, run_key: str) -> str:
    return f"{stream}/year={year}/month={month}/part-{run_key}.parquet"


def curated_prefix(stream: str, year: str, month: str, run_key: str) -> str:
    """Where Redshift's UNLOAD writes a run's month: <prefix>0000_part_00.parquet, ..."""
    return f"{stream}/year={year}/month={month}/part-{run_key}-"


def delete_prefix(client, bucket: str, prefix: str) -> int:
    from datalake.s3 import iter_keys

    return delete_keys(client, bucket, [key for key, _ in iter_keys(client, bucket, prefix)])
