"""Parquet in the lake bucket, and the run's staging prefix. Names are derived from the run, so
a rerun overwrites its own files; rows are sorted so the same input gives the same bytes."""

from __future__ import annotations

import io

from datalake.s3 import delete_keys

STAGING_ROOT = "_staging"


def table_to_parquet_bytes(table) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=True)
    return buf.getvalue()


def put_parquet(client, bucket: str, key: str, table) -> int:
    body = table_to_parquet_bytes(table)
    client.put_object(Bucket=bucket, Key=key, Body=body)
    return len(body)


def read_parquet(client, bucket: str, key: str):
    import pyarrow.parquet as pq

    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body))


def staging_prefix(stream: str, run_key: str) -> str:
    return f"{STAGING_ROOT}/{stream}/{run_key}/"


def delete_prefix(client, bucket: str, prefix: str) -> int:
    from datalake.s3 import iter_keys

    return delete_keys(client, bucket, [key for key, _ in iter_keys(client, bucket, prefix)])
