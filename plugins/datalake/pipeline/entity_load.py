"""Load one arrival hour into the warehouse and the curated lake, in one transaction.

stage (COPY) -> dedupe within the run and against other runs -> delete-and-insert by id ->
current_entities -> curated Parquet per event month -> manifest -> COMMIT.
Anything failing before COMMIT leaves the warehouse as it was; the lake files are named
after the run, so the retry overwrites them.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime

from datalake.config import Settings
from datalake.entity_schema import ENTITY_COLUMNS
from datalake.pipeline.lake import (
    SEQ_COLUMN,
    curated_key,
    delete_keys,
    delete_prefix,
    entity_arrow_schema,
    staging_prefix,
)
from datalake.pipeline.manifest import RunManifest, load_previous_manifest, save_manifest
from datalake.sqlfiles import execute_file

log = logging.getLogger(__name__)

STREAM = "entity_operations"
PIPELINE = "entity_operations_hourly"
CURATED_CHUNK_ROWS = 50_000  # rows per row group of a curated file
CURATED_FETCH_ROWS = 10_000  # rows per fetch from the stage table


class InjectedFailure(RuntimeError):
    """Raised by the test hook that simulates a crash between staging and COMMIT."""


def _copy_staged_local(conn, client, bucket: str, staged_keys: list[str]) -> int:
    """COPY FROM STDIN of the staged Parquet, one record batch at a time (bounded memory)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    columns = ", ".join(f'"{c}"' for c in (*ENTITY_COLUMNS, SEQ_COLUMN))
    total = 0
    with conn.cursor().copy(f"COPY stage_entity_operations ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
        for key in staged_keys:
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            parquet = pq.ParquetFile(io.BytesIO(body))
            for batch in parquet.iter_batches(batch_size=20_000):
                buf = io.BytesIO()
                # Quote every string so '' stays '' and only a missing value becomes NULL.
                pacsv.write_csv(batch, buf, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
                copy.write(buf.getvalue())
                total += batch.num_rows
    return total


def _copy_staged_redshift(conn, settings: Settings, run_key: str) -> int:
    if not settings.redshift_iam_role:
        from datalake.s3 import ConfigurationError

        raise ConfigurationError("REDSHIFT_IAM_ROLE (or the redshift_default extra iam_role) is required for COPY")
    uri = f"s3://{settings.lake_bucket}/{staging_prefix(STREAM, run_key)}"
    execute_file(conn, "redshift/stage_entity_operations.sql", staging_uri=uri, iam_role=settings.redshift_iam_role)
    return conn.execute("SELECT COUNT(*) FROM stage_entity_operations").fetchone()[0]


def _write_curated_local(conn, client, bucket: str, run_key: str) -> list[str]:
    """Curated Parquet per event month, rows sorted by id, streamed from the stage table.

    Memory stays bounded whatever the hour's volume: rows are fetched CURATED_FETCH_ROWS at a
    time, a row group (CURATED_CHUNK_ROWS rows) is written as soon as it is complete, and the
    file goes to a temporary file on disk, then to S3 in parts (upload_fileobj), never whole
    into memory."""
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = entity_arrow_schema()
    columns = ", ".join(f'"{c}"' for c in ENTITY_COLUMNS)
    months = conn.execute("SELECT DISTINCT year, month FROM stage_entity_operations ORDER BY 1, 2").fetchall()
    pool = pa.default_memory_pool()
    written = []
    for year, month in months:
        with tempfile.TemporaryFile() as tmp:
            with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
                with conn.cursor(name=f"curated_{year}_{month}") as cur:
                    cur.itersize = CURATED_FETCH_ROWS
                    cur.execute(
                        f"SELECT {columns} FROM stage_entity_operations WHERE year = %s AND month = %s ORDER BY id",
                        (year, month),
                    )
                    pending: list = []
                    pending_rows = 0
                    while True:
                        chunk = cur.fetchmany(CURATED_FETCH_ROWS)
                        done = not chunk
                        if chunk:
                            arrays = [pa.array([row[i] for row in chunk], pa.string()) for i in range(len(ENTITY_COLUMNS))]
                            pending.append(pa.Table.from_arrays(arrays, schema=schema))
                            pending_rows += len(chunk)
                            del chunk, arrays
                        # Row groups of CURATED_CHUNK_ROWS rows, as before: same bytes for the same rows.
                        if pending and (pending_rows >= CURATED_CHUNK_ROWS or done):
                            table = pa.concat_tables(pending)
                            writer.write_table(table.slice(0, CURATED_CHUNK_ROWS))
                            rest = table.slice(CURATED_CHUNK_ROWS)
                            pending, pending_rows = ([rest] if rest.num_rows else []), rest.num_rows
                            del table
                            pool.release_unused()
                        if done and not pending:
                            break
            tmp.seek(0)
            key = curated_key(STREAM, year, month, run_key)
            client.upload_fileobj(tmp, bucket, key)
        written.append(key)
    return written


def load_entity_hour(
    client,
    settings: Settings,
    run_key: str,
    window_start: datetime,
    window_end: datetime,
    batch_counts: list[dict],
    fail_before_commit: bool = False,
) -> dict:
    """Load the staged batches of one run; returns the manifest as a dict."""
    from datalake.warehouse import connect

    manifest = RunManifest.from_batches(PIPELINE, run_key, window_start, window_end, batch_counts)
    staged_keys = [c["staged_key"] for c in batch_counts if c.get("staged_key")]
    params = {"run_key": run_key}
    with connect(settings) as conn:
        with conn.transaction():
            # One writer per table at a time, even across DAGs (the Airflow pool is the first line).
            if not settings.warehouse_is_redshift:
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('entity_operations'))")
                execute_file(conn, "entity_operations/stage_local.sql")
                staged = _copy_staged_local(conn, client, settings.lake_bucket, staged_keys)
            else:
                conn.execute("LOCK epilot_datalake.entity_operations")
                staged = _copy_staged_redshift(conn, settings, run_key)
            manifest.staged = staged
            in_run, across_runs = execute_file(conn, "entity_operations/dedupe.sql", params)
            manifest.duplicates_in_run = in_run
            manifest.duplicates_already_loaded = across_runs
            deleted, inserted, _, _ = execute_file(conn, "entity_operations/merge.sql", params)
            manifest.replaced = deleted
            manifest.loaded = inserted
            execute_file(conn, "entity_operations/current_entities.sql")
            # Late data: events of a month behind an existing monthly snapshot mark the
            # snapshot months to refresh; the mark commits with the data (issue 4).
            execute_file(conn, "entity_operations/mark_stale_snapshots.sql", params)
            snapshots_stale = conn.execute("SELECT COUNT(*) FROM datalake_ops.snapshot_refresh_needed").fetchone()[0]
            if fail_before_commit:
                raise InjectedFailure("failure injected between staging and commit")

            previous = load_previous_manifest(conn, PIPELINE, run_key)
            if settings.warehouse_is_redshift:
                lake_uri = f"s3://{settings.lake_bucket}/{STREAM}"
                execute_file(conn, "redshift/unload_entity_operations.sql", lake_uri=lake_uri, run_key=run_key,
                             iam_role=settings.redshift_iam_role)
                manifest.lake_files = []
            else:
                manifest.lake_files = _write_curated_local(conn, client, settings.lake_bucket, run_key)
            stale = sorted(set(previous.get("lake_files", [])) - set(manifest.lake_files)) if previous else []
            delete_keys(client, settings.lake_bucket, stale)
            manifest.check()
            save_manifest(conn, client, settings.lake_bucket, STREAM, manifest)
    # Staging files are only needed until the commit.
    delete_prefix(client, settings.lake_bucket, staging_prefix(STREAM, run_key))
    log.info("run manifest %s", json.dumps(manifest.as_dict(), sort_keys=True))
    result = manifest.as_dict()
    if snapshots_stale:
        # After the commit, in its own locked transaction: a refresh failure fails this task
        # (Airflow retries the idempotent load) but never rolls back the hour, and the marks
        # stay until a refresh (this one, a later hour's or the monthly DAG's) succeeds.
        from datalake.pipeline.snapshot import refresh_pending as refresh_snapshots

        result["snapshots_refreshed"] = [r["month"] for r in refresh_snapshots(client, settings)]
    return result
