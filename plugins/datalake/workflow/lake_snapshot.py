"""The five workflow tables as Parquet snapshots in the lake, switched atomically.

Layout (lake bucket)::

    workflow/_current.json                                   the pointer (one small object)
    workflow/<table>/version=<version>/part-00000.parquet    one immutable version per table

``<table>`` is the warehouse name folded to lower case (``workflowtasks``). A version is
written once and never modified in place: locally its name is the first 16 hex digits of
the SHA-256 of the five files' bytes (rows sorted, so the same state gives the same bytes
and a rerun rewrites nothing new); on Redshift (UNLOAD) it is ``<run key>-<random>``.

Writer (workflow/load.py, all inside the load's transaction, under the workflow lock):

1. write the five tables' files under the new version prefix;
2. PUT ``workflow/_current.json`` (a single-object PUT is atomic in S3): ``version``,
   ``previous`` (the version it replaces), ``run_key`` and per table ``prefix``, ``files``
   (``null`` on Redshift: read every object under ``prefix``) and ``rows``;
3. delete every version other than the new one and the previous one.

Reader protocol:

1. GET ``workflow/_current.json``;
2. for each table, read the objects listed in ``files`` (or, when ``files`` is null, every
   ``.parquet`` object under ``prefix``) — never list ``workflow/<table>/`` itself, it holds
   other versions;
3. a version stays readable for at least one more run (about an hour) after the pointer has
   moved on; a reader that gets NoSuchKey (it started more than a run ago) starts over at 1.

A reader therefore always sees the five tables of one committed version, never a
half-written one. (If the warehouse COMMIT itself failed after step 2, the pointer would be
one state ahead until the retry, which writes the state again.)
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid

from datalake.s3 import delete_keys
from datalake.sqlfiles import execute_file, query_file, statement_of
from datalake.workflow.flatten import TABLE_ORDER, TABLES, arrow_schema

ROOT = "workflow"
POINTER_KEY = f"{ROOT}/_current.json"
CHUNK_ROWS = 50_000


def table_folder(table: str) -> str:
    return f"{ROOT}/{table.lower()}/"


def version_prefix(table: str, version: str) -> str:
    return f"{table_folder(table)}version={version}/"


def _table_parquet(conn, table: str) -> tuple[bytes, int]:
    """The table's rows, sorted, as Parquet bytes (streamed from a server-side cursor)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = TABLES[table]
    schema = arrow_schema(columns)
    order = ", ".join(TABLE_ORDER[table])
    buf = io.BytesIO()
    rows = 0
    with pq.ParquetWriter(buf, schema, compression="zstd") as writer:
        with conn.cursor(name=f"snapshot_{table.lower()}") as cur:
            cur.itersize = CHUNK_ROWS
            cur.execute(
                statement_of(
                    "workflow/table_rows.sql",
                    columns=", ".join(columns),
                    table=table,
                    order_by=order,
                )
            )
            while chunk := cur.fetchmany(CHUNK_ROWS):
                arrays = [pa.array([r[i] for r in chunk], f.type) for i, f in enumerate(schema)]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
                rows += len(chunk)
        if rows == 0:
            writer.write_table(schema.empty_table())
    return buf.getvalue(), rows


def write_snapshot_local(conn, client, bucket: str) -> dict:
    """Step 1 on PostgreSQL: the five tables (as this transaction sees them) to a new version."""
    bodies = {table: _table_parquet(conn, table) for table in TABLES}
    digest = hashlib.sha256()
    for table in TABLES:
        digest.update(table.encode() + b"\0" + bodies[table][0])
    version = digest.hexdigest()[:16]
    tables = {}
    for table, (body, rows) in bodies.items():
        key = f"{version_prefix(table, version)}part-00000.parquet"
        client.put_object(Bucket=bucket, Key=key, Body=body)
        tables[table] = {"prefix": version_prefix(table, version), "files": [key], "rows": rows}
    return {"version": version, "tables": tables}


def write_snapshot_redshift(conn, bucket: str, run_key: str, iam_role: str) -> dict:
    """Step 1 on Redshift: UNLOAD each table to a fresh version prefix."""
    version = f"{run_key}-{uuid.uuid4().hex[:8]}"
    tables = {}
    for table, columns in TABLES.items():
        prefix = version_prefix(table, version)
        execute_file(
            conn,
            "redshift/unload_workflow_snapshot.sql",
            table=table,
            columns=", ".join(columns),
            order_by=", ".join(TABLE_ORDER[table]),
            prefix_uri=f"s3://{bucket}/{prefix}",
            iam_role=iam_role,
        )
        rows = query_file(conn, "workflow/table_count.sql", table=table)[0][0]
        tables[table] = {"prefix": prefix, "files": None, "rows": rows}
    return {"version": version, "tables": tables}


def read_pointer(client, bucket: str) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        body = client.get_object(Bucket=bucket, Key=POINTER_KEY)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    return json.loads(body)


def switch_pointer(client, bucket: str, snapshot: dict, run_key: str) -> dict:
    """Step 2: point readers at the new version (one atomic PUT)."""
    old = read_pointer(client, bucket)
    if old is None:
        previous = None
    elif old["version"] == snapshot["version"]:  # same state again: keep what it replaced
        previous = old.get("previous")
    else:
        previous = old["version"]
    pointer = {
        "version": snapshot["version"],
        "previous": previous,
        "run_key": run_key,
        "tables": snapshot["tables"],
    }
    body = json.dumps(pointer, indent=2, sort_keys=True).encode("utf-8")
    client.put_object(Bucket=bucket, Key=POINTER_KEY, Body=body, ContentType="application/json")
    return pointer


def prune_versions(client, bucket: str, keep: set[str]) -> int:
    """Step 3: delete the versions readers can no longer be directed to."""
    from datalake.s3 import iter_keys

    stale = []
    for table in TABLES:
        folder = table_folder(table)
        for key, _ in iter_keys(client, bucket, folder):
            part = key[len(folder) :].split("/", 1)[0]
            if part.startswith("version=") and part[len("version=") :] not in keep:
                stale.append(key)
    return delete_keys(client, bucket, stale)


def publish(client, bucket: str, snapshot: dict, run_key: str) -> dict:
    pointer = switch_pointer(client, bucket, snapshot, run_key)
    prune_versions(client, bucket, {v for v in (pointer["version"], pointer["previous"]) if v})
    return pointer


def read_snapshot(client, bucket: str, table: str):
    """The reader protocol, for one table: the current version as a pyarrow Table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from datalake.s3 import iter_keys

    pointer = read_pointer(client, bucket)
    if pointer is None:
        return arrow_schema(TABLES[table]).empty_table()
    entry = pointer["tables"][table]
    keys = (
        entry["files"]
        if entry["files"] is not None
        else sorted(
            k
            for k, _ in iter_keys(client, bucket, entry["prefix"])
            if k.endswith(".parquet") or "part-" in k
        )
    )
    parts = [
        pq.read_table(io.BytesIO(client.get_object(Bucket=bucket, Key=k)["Body"].read()))
        for k in keys
    ]
    return pa.concat_tables(parts) if parts else arrow_schema(TABLES[table]).empty_table()
