"""COPY's and UNLOAD's side on S3: read Parquet objects under a prefix, write UNLOAD's files
with Redshift's names and PARTITION BY layout (pyarrow over boto3, against any S3 endpoint)."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

# What the double models as the cluster's slice count: UNLOAD with PARALLEL ON writes (up to)
# one file per slice, <prefix>0000_part_00.parquet, <prefix>0001_part_00.parquet, ...
SLICES = 2
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"

TYPES = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    700: pa.float32(),
    701: pa.float64(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}


def split_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// location: {uri}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def list_keys(client, bucket: str, prefix: str) -> list[str]:
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return sorted(keys)


def read_parquet(client, bucket: str, key: str) -> pa.Table:
    return pq.read_table(io.BytesIO(client.get_object(Bucket=bucket, Key=key)["Body"].read()))


def text_value(value) -> str:
    """A Python value in PostgreSQL's COPY text format (escaped)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        text = "t" if value else "f"
    elif isinstance(value, datetime):
        text = value.isoformat(sep=" ")
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def parse_text(value: str | None, type_oid: int):
    """A text-format result value as the Python value its Parquet column takes."""
    if value is None:
        return None
    if type_oid == 16:
        return value == "t"
    if type_oid in (20, 21, 23):
        return int(value)
    if type_oid in (700, 701):
        return float(value)
    if type_oid == 1082:
        return date.fromisoformat(value)
    if type_oid in (1114, 1184):
        parsed = datetime.fromisoformat(
            value if len(value) < 3 or value[-3] not in "+-" else value + ":00"
        )
        return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed
    if type_oid == 1700:
        return Decimal(value)
    return value


def arrow_table(columns: list[tuple[str, int]], rows: list[list]) -> pa.Table:
    arrays = []
    for index, (_name, oid) in enumerate(columns):
        values = [parse_text(row[index], oid) for row in rows]
        arrays.append(pa.array(values, type=TYPES.get(oid, pa.string() if oid != 1700 else None)))
    return pa.Table.from_arrays(arrays, names=[name for name, _ in columns])


def put_parquet(client, bucket: str, key: str, table: pa.Table, **extra) -> None:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    client.put_object(Bucket=bucket, Key=key, Body=sink.getvalue(), **extra)


def unload_files(
    table: pa.Table, prefix: str, parallel: bool, partition_by: list[str], include: bool
) -> list[tuple[str, pa.Table]]:
    """(key, rows) per file UNLOAD writes: PARTITION BY adds '/' to the prefix and one
    col=value/ folder level per column, and leaves the columns out of the files unless INCLUDE."""
    if not partition_by:
        return _slice_files(table, prefix, parallel)
    if not prefix.endswith("/"):
        prefix += "/"
    groups: dict[tuple, list[int]] = {}
    keys = [table.column(c).to_pylist() for c in partition_by]
    for i in range(table.num_rows):
        groups.setdefault(tuple(k[i] for k in keys), []).append(i)
    files = []
    for values, indices in sorted(groups.items(), key=lambda item: [str(v) for v in item[0]]):
        part = table.take(pa.array(indices))
        if not include:
            part = part.drop_columns(partition_by)
        folder = "".join(
            f"{c}={HIVE_NULL if v is None else v}/"
            for c, v in zip(partition_by, values, strict=False)
        )
        files.extend(_slice_files(part, prefix + folder, parallel))
    return files


def _slice_files(table: pa.Table, prefix: str, parallel: bool) -> list[tuple[str, pa.Table]]:
    if not parallel:
        return [(f"{prefix}000.parquet", table)]
    files = []
    size = -(-table.num_rows // SLICES) if table.num_rows else 0
    for slice_number in range(SLICES):
        rows = table.slice(slice_number * size, size) if size else table.slice(0, 0)
        if rows.num_rows or (slice_number == 0 and table.num_rows == 0):
            files.append((f"{prefix}{slice_number:04d}_part_00.parquet", rows))
    return files
