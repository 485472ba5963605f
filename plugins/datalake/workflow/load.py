"""Load one arrival hour of workflow events into the five tables and the lake, in one transaction.

lock -> stage (COPY) -> dedupe by event id (in the run, against other runs; a copy of an id
another hour loaded with other content is quarantined as a conflicting duplicate,
hourly/conflicts.py) -> the run's
latest state per execution, dropped when not newer than the state already loaded
(include/sql/workflow/winners.sql) -> replace those executions in all five tables
(merge.sql) -> lake snapshot of the five tables + pointer switch (lake_snapshot.py) ->
run manifest -> COMMIT.

Anything failing before COMMIT leaves the warehouse as it was. Records are accounted as in
the entity pipeline: read = loaded + duplicates + quarantined, where *loaded* is
every accepted event, whether it changed the tables (``applied``) or was already superseded
by a newer state (``superseded``, e.g. an older update arriving late).
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field

from datalake.config import Settings
from datalake.hourly.conflicts import Conflict, account_conflicts
from datalake.hourly.lake import attempt_prefix, discard_attempt, run_attempt
from datalake.hourly.manifest import RunManifest, save_manifest
from datalake.hourly.quarantine import publish_quarantine
from datalake.hourly.stream import Hour
from datalake.locks import lock_workflow_tables
from datalake.sqlfiles import execute_file, query_file, statement_of
from datalake.workflow import DAG_ID
from datalake.workflow import lake_snapshot as workflow_snapshot
from datalake.workflow.batch import EVENTS_STAGE, STAGES, STREAM
from datalake.workflow.flatten import EVENT_ID_COLUMN, SEQ_COLUMN, TABLES

log = logging.getLogger(__name__)

PIPELINE = DAG_ID


@dataclass
class WorkflowRunManifest(RunManifest):
    applied: int = 0  # executions whose rows this run replaced (deletes included)
    deleted_executions: int = 0  # of which removed by a ...Deleted event
    superseded: int = 0  # accepted events not newer than the state (already) loaded
    table_rows: dict[str, int] = field(default_factory=dict)  # rows per table after the run
    snapshot_version: str | None = None


def stage_columns(stage: str) -> tuple[str, ...]:
    if stage == EVENTS_STAGE:
        return (*STAGES[stage], SEQ_COLUMN)
    return (*STAGES[stage], EVENT_ID_COLUMN, SEQ_COLUMN)


def _copy_staged_local(conn, client, bucket: str, batch_counts: list[dict]) -> dict[str, int]:
    """COPY FROM STDIN of each stage's Parquet files, a record batch at a time."""
    import pyarrow.parquet as pq

    totals = {}
    for stage in STAGES:
        columns = stage_columns(stage)
        total = 0
        with conn.cursor().copy(
            statement_of("workflow/copy_stage.sql", stage=stage, columns=", ".join(columns))
        ) as copy:
            for counts in batch_counts:
                key = (counts.get("staged_keys") or {}).get(stage)
                if not key:
                    continue
                body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
                for batch in pq.ParquetFile(io.BytesIO(body)).iter_batches(
                    batch_size=10_000, columns=list(columns)
                ):
                    data = batch.to_pydict()
                    for i in range(batch.num_rows):
                        copy.write_row(tuple(data[c][i] for c in columns))
                    total += batch.num_rows
        totals[stage] = total
    return totals


def _copy_staged_redshift(conn, settings: Settings, run_key: str, attempt: str) -> dict[str, int]:
    if not settings.redshift_iam_role:
        from datalake.errors import ConfigurationError

        raise ConfigurationError(
            "REDSHIFT_IAM_ROLE (or the redshift_default extra iam_role) is required for COPY"
        )
    uri = f"s3://{settings.lake_bucket}/{attempt_prefix(STREAM, run_key, attempt)}"
    execute_file(
        conn,
        "redshift/stage_workflow.sql",
        staging_uri=uri,
        iam_role=settings.redshift_iam_role,
        stages=list(STAGES),
    )
    return {
        stage: query_file(conn, "workflow/stage_count.sql", stage=stage)[0][0] for stage in STAGES
    }


def load_workflow_hour(client, settings: Settings, hour: Hour, batch_counts: list[dict]) -> dict:
    """Load the staged batches of one run; returns the manifest as a dict."""
    from datalake.warehouse import connect

    run_key, window_start, window_end = hour.run_key, hour.start, hour.end
    manifest = WorkflowRunManifest.from_batches(
        PIPELINE, run_key, window_start, window_end, batch_counts
    )
    params = {"run_key": run_key}
    attempt = run_attempt(batch_counts)  # this run's files only, whatever other run is going
    with connect(settings) as conn:
        with conn.transaction():
            # One writer of the five tables (and of the lake snapshot) at a time; the Airflow
            # max_active_tis_per_dag=1 on the load task is the first line.
            lock_workflow_tables(conn, settings, TABLES)
            if not settings.warehouse_is_redshift:
                execute_file(conn, "workflow/stage_local.sql")
                staged = _copy_staged_local(conn, client, settings.lake_bucket, batch_counts)
            else:
                staged = _copy_staged_redshift(conn, settings, run_key, attempt)
            manifest.staged = staged[EVENTS_STAGE]

            # Before the dedupe drops them: later copies of ids staged twice in the run and
            # copies of ids other hours loaded, compared.
            conflicts = (
                [
                    Conflict(event_id, seq, run_key, kept_hash, copy_hash)
                    for event_id, seq, kept_hash, copy_hash in query_file(
                        conn, "workflow/later_copies.sql"
                    )
                ],
                [Conflict(*row) for row in query_file(conn, "workflow/conflicts.sql", params)],
            )
            dropped = tuple(execute_file(conn, "workflow/dedupe.sql", params))
            account_conflicts(
                client, settings.lake_bucket, STREAM, manifest, dropped, batch_counts, conflicts
            )
            manifest.loaded = query_file(conn, "workflow/stage_count.sql", stage=EVENTS_STAGE)[0][0]
            execute_file(conn, "workflow/winners.sql", params)
            ((applied, deleted),) = query_file(conn, "workflow/winners_count.sql")
            manifest.applied, manifest.deleted_executions = applied, deleted
            manifest.superseded = manifest.loaded - applied
            execute_file(conn, "workflow/merge.sql", params)
            if settings.warehouse_is_redshift:
                snapshot = workflow_snapshot.write_snapshot_redshift(
                    conn, settings.lake_bucket, run_key, settings.redshift_iam_role
                )
                manifest.lake_files = sorted(t["prefix"] for t in snapshot["tables"].values())
            else:
                snapshot = workflow_snapshot.write_snapshot_local(
                    conn, client, settings.lake_bucket
                )
                manifest.lake_files = sorted(
                    f for t in snapshot["tables"].values() for f in t["files"]
                )
            manifest.snapshot_version = snapshot["version"]
            manifest.table_rows = {t: entry["rows"] for t, entry in snapshot["tables"].items()}
            manifest.quarantine_files = publish_quarantine(
                client, settings.lake_bucket, STREAM, run_key, manifest.quarantine_files
            )
            manifest.check()
            save_manifest(conn, client, settings.lake_bucket, STREAM, manifest)
            # Last, still under the lock: readers move to the new version, old versions go.
            workflow_snapshot.publish(client, settings.lake_bucket, snapshot, run_key)
    # Staging files are only needed until the commit.
    discard_attempt(client, settings.lake_bucket, STREAM, run_key, attempt)
    log.info("run manifest %s", json.dumps(manifest.as_dict(), sort_keys=True))
    return manifest.as_dict()
