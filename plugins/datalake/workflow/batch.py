"""One batch of an hour's ``workflow_executions/`` landing objects: split records -> flatten
-> drop duplicate event ids -> validate (GX, five suites) -> the valid events' rows staged as
Parquet (one file per table), rejected events quarantined whole. Returns small counts for XCom.

The machinery is the entity pipeline's: records.split_records, quarantine.QuarantineRecord,
hourly.extract.BatchCounts / batch_file_name / SEQ_STRIDE, lake.put_parquet.

Staging layout (Redshift COPYs one table from its prefix)::

    _staging/workflow_executions/<run key>/<attempt>/<stage table>/batch-00000.parquet
    _staging/workflow_executions/<run key>/<attempt>.sources/batch-00000.parquet
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from datalake.config import Settings
from datalake.hourly.conflicts import write_sources
from datalake.hourly.extract import SEQ_STRIDE, BatchCounts, batch_file_name, extract_records
from datalake.hourly.extract import max_future_skew_minutes as future_skew_minutes
from datalake.hourly.lake import (
    attempt_prefix,
    attempt_quarantine_prefix,
    attempt_sources_prefix,
    put_parquet,
)
from datalake.hourly.landing import plan_hour
from datalake.hourly.quarantine import QuarantineRecord, write_quarantine
from datalake.hourly.stream import Hour
from datalake.workflow import STREAM
from datalake.workflow.flatten import (
    CONTENT_HASH_COLUMN,
    EVENT_COLUMNS,
    EVENT_ID_COLUMN,
    SEQ_COLUMN,
    TABLES,
    FlatExecution,
    FlattenError,
    flatten_workflow_event,
    rows_to_arrow,
)

EVENTS_STAGE = "events"  # stage of the events themselves (ordering facts)


def stage_name(table: str) -> str:
    """Stage table / staging folder of a warehouse table: WorkflowTasks -> workflowtasks."""
    return table.lower()


STAGES: dict[str, tuple[str, ...]] = {
    EVENTS_STAGE: (*EVENT_COLUMNS, CONTENT_HASH_COLUMN),
    **{stage_name(t): c for t, c in TABLES.items()},
}


@dataclass
class WorkflowBatchCounts(BatchCounts):
    staged_keys: dict[str, str] = field(default_factory=dict)  # stage -> Parquet key


def extract_flats(
    client, bucket: str, keys: list[str], counts: BatchCounts, rejects: list[QuarantineRecord]
):
    """Flattened events in delivery order with their raw bytes, as (flats, sources) chunks:
    all events but the later copies of an id with other content than its first copy, which
    follow in chunks of their own (extract.py; the load decides on them)."""
    return extract_records(
        client,
        bucket,
        keys,
        counts,
        rejects,
        flatten_workflow_event,
        lambda flat: flat.event["event_id"],
        (FlattenError,),
        content=lambda flat: flat.content_hash,
    )


def staged_rows(flats: list[FlatExecution], seqs: list[int]) -> dict[str, list[dict]]:
    """Rows per stage; every row carries its event's id and delivery sequence."""
    out: dict[str, list[dict]] = {stage: [] for stage in STAGES}
    for flat, seq in zip(flats, seqs, strict=False):
        tag = {EVENT_ID_COLUMN: flat.event["event_id"], SEQ_COLUMN: seq}
        out[EVENTS_STAGE].append(
            {**flat.event, CONTENT_HASH_COLUMN: flat.content_hash, SEQ_COLUMN: seq}
        )
        for table in TABLES:
            out[stage_name(table)].extend({**row, **tag} for row in flat.rows(table))
    return out


def plan_workflow_hour(client, settings: Settings, hour: Hour) -> list[dict]:
    """Batches of the hour's landing objects; clears what an earlier try of the run left."""
    return plan_hour(client, settings, STREAM, hour.run_key, hour.start, hour.end)


def process_workflow_batch(client, settings: Settings, hour: Hour, batch: dict) -> dict:
    import pyarrow as pa

    from datalake.validation import data_docs
    from datalake.validation.runner import merge_expectation_results
    from datalake.workflow.suite import validate_workflow_rows

    run_key, keys, batch, attempt = hour.run_key, batch["keys"], batch["batch"], batch["attempt"]
    # "lastUpdateTime not in the future" is judged against the end of the arrival hour, so
    # the verdict does not depend on when the run (or its rerun) happens.
    now, max_future_skew_minutes = hour.end, future_skew_minutes()
    counts = WorkflowBatchCounts(
        batch=batch, attempt=attempt, source_bucket=settings.landing_bucket
    )
    rejects: list[QuarantineRecord] = []
    flats, sources, failed, gx_results = [], [], {}, []
    results: list[list[dict]] = []
    # Validated chunk by chunk: the later copies with other content come in their own.
    for part, part_sources in extract_flats(client, settings.landing_bucket, keys, counts, rejects):
        outcome = validate_workflow_rows(
            part, now=now, max_future_skew_minutes=max_future_skew_minutes
        )
        failed.update((len(flats) + i, names) for i, names in outcome.failed_events.items())
        results.append(outcome.expectation_results)
        gx_results += outcome.gx_results
        flats += part
        sources += part_sources
    counts.expectation_results = merge_expectation_results(results)
    counts.results_key = data_docs.write_results(
        client,
        settings.lake_bucket,
        data_docs.results_key(STREAM, run_key, attempt, batch_file_name(batch)),
        [data_docs.trimmed_result(result) for result in gx_results],
    )
    for index, names in failed.items():
        key, position, raw = sources[index]
        rejects.append(QuarantineRecord(key, position, "failed_expectations", raw, names))

    kept = [i for i in range(len(flats)) if i not in failed]
    valid = [flats[i] for i in kept]
    seqs = [batch * SEQ_STRIDE + i for i in kept]
    counts.valid = len(valid)
    counts.quarantined = dict(sorted(Counter(r.reason for r in rejects).items()))

    name = batch_file_name(batch)
    prefix = attempt_prefix(STREAM, run_key, attempt)
    for stage, rows in staged_rows(valid, seqs).items():
        columns = STAGES[stage]
        if stage == EVENTS_STAGE:
            table = rows_to_arrow(rows, columns)
            table = table.append_column(
                SEQ_COLUMN, pa.array([r[SEQ_COLUMN] for r in rows], pa.int64())
            )
        else:
            table = rows_to_arrow(rows, columns, staged=True)
        key = f"{prefix}{stage}/{name}.parquet"
        put_parquet(client, settings.lake_bucket, key, table)
        counts.staged_keys[stage] = key
    # Where each staged event came from: a conflicting duplicate is quarantined with its bytes.
    counts.sources_key = write_sources(
        client,
        settings.lake_bucket,
        f"{attempt_sources_prefix(STREAM, run_key, attempt)}{name}.parquet",
        {
            SEQ_COLUMN: seqs,
            "source_key": [sources[i][0] for i in kept],
            "position": [sources[i][1] for i in kept],
        },
    )
    counts.quarantine_key = write_quarantine(
        client,
        settings.lake_bucket,
        f"{attempt_quarantine_prefix(STREAM, run_key, attempt)}{name}.jsonl.gz",
        sorted(rejects, key=lambda r: (r.source_key, r.position)),
    )
    return counts.as_dict()
