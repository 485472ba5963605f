"""One batch of an hour's landing objects: extract -> normalise -> dedupe -> validate (GX)
-> validated rows staged as Parquet, rejects quarantined. Returns small counts for XCom.

Several batches of one hour run as mapped Airflow tasks; the load step merges them.
"""

from __future__ import annotations

import os
from collections import Counter

from datalake.config import Settings
from datalake.entity import STREAM
from datalake.entity.normalize import (
    DETAIL_HAS_PAYLOAD_KEY,
    DETAIL_INDEX,
    ID_INDEX,
    ROW_FIELDS,
    NormalizeError,
    normalize_entity_event,
)
from datalake.entity.parquet import SEQ_COLUMN, StagedParquet, columns_to_table
from datalake.entity_schema import ENTITY_COLUMNS
from datalake.hourly.conflicts import content_hash, write_sources
from datalake.hourly.extract import SEQ_STRIDE, BatchCounts, batch_file_name, iter_extracted
from datalake.hourly.extract import max_future_skew_minutes as future_skew_minutes
from datalake.hourly.id_order import sort_by_id
from datalake.hourly.lake import (
    attempt_prefix,
    attempt_quarantine_prefix,
    attempt_sources_prefix,
)
from datalake.hourly.landing import ENTITY_BATCH_BYTES, plan_hour
from datalake.hourly.quarantine import QuarantineRecord, write_quarantine
from datalake.hourly.stream import Hour

# Small row groups: the load merges the runs reading one row group of each at a time, and a
# reader decodes a whole row group, so the group size bounds the merge's memory
# (docs/benchmarks.md, "Why the load is as it is").
STAGED_ROW_GROUP_ROWS = 1_000
# Each validation has a fixed GX cost plus a per-row share; memory follows the chunk.
DEFAULT_CHUNK_ROWS = 25_000


def chunk_rows() -> int:
    """Rows validated and staged at a time: bounds a batch's memory whatever its size."""
    return int(os.environ.get("DATALAKE_CHUNK_ROWS", DEFAULT_CHUNK_ROWS))


def suite_frame(table, detail, detail_has_payload):
    """A chunk's rows as the suite's frame: the staged table's short string columns as pandas'
    pyarrow-backed strings (no copy; null checks, filters and set lookups then run in Arrow
    rather than per Python object); the normaliser's `_detail_has_payload`; the `_row`
    numbers. In place of the `detail` text, a stand-in with the same nulls, its length in
    bytes: the suite's one expectation on `detail` itself is not-null (what the text holds was
    checked when the normaliser parsed it, and goes to GX as `_detail_has_payload`), and GX
    fingerprints every column of the frame once per validation (pandas turns each object into
    a str to hash it) and filters the frame once per expectation, so the long texts would
    only cost time (docs/benchmarks.md, "Why the load is as it is")."""
    import pandas as pd
    import pyarrow as pa

    short = [c for c in ENTITY_COLUMNS if c != "detail"]
    frame = table.select(short).to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    lengths = [None if text is None else len(text) for text in detail]
    frame.insert(
        ENTITY_COLUMNS.index("detail"),
        "detail",
        pd.Series(lengths, index=frame.index, dtype="float64"),
    )
    frame[DETAIL_HAS_PAYLOAD_KEY] = pd.Series(detail_has_payload, index=frame.index, dtype=object)
    frame["_row"] = range(len(frame))
    return frame


def entity_content_hash(row: tuple) -> str:
    """A normalised row's content hashed as the load hashes the staged row (entity/
    conflicts.py): its columns, `detail` as the text it is staged as."""
    detail = row[DETAIL_INDEX]
    values = list(row[: len(ENTITY_COLUMNS)])
    values[DETAIL_INDEX] = detail.decode("utf-8") if isinstance(detail, bytes) else detail
    return content_hash(values)


def plan_entity_hour(client, settings: Settings, hour: Hour) -> list[dict]:
    """Batches of the hour's landing objects (large ones: a batch is staged in chunks); clears
    what an earlier try of the run left."""
    return plan_hour(
        client, settings, STREAM, hour.run_key, hour.start, hour.end, max_bytes=ENTITY_BATCH_BYTES
    )


def process_entity_batch(client, settings: Settings, hour: Hour, batch: dict) -> dict:
    from datalake.entity.suite import entity_suite_runner, validate_entity_rows
    from datalake.validation import data_docs
    from datalake.validation.runner import merge_expectation_results

    run_key, keys, batch, attempt = hour.run_key, batch["keys"], batch["batch"], batch["attempt"]
    # "Not in the future" is judged against the end of the arrival hour, so the verdict does
    # not depend on when the run (or its rerun) happens.
    now, max_future_skew_minutes = hour.end, future_skew_minutes()
    counts = BatchCounts(batch=batch, attempt=attempt, source_bucket=settings.landing_bucket)
    source_columns: dict[str, list] = {SEQ_COLUMN: [], "source_key": [], "position": []}
    rejects: list[QuarantineRecord] = []
    runner = entity_suite_runner(max_future_skew_minutes)
    results: list[list[dict]] = []
    gx_results: list[dict] = []
    name = batch_file_name(batch)
    counts.staged_key = f"{attempt_prefix(STREAM, run_key, attempt)}{name}.parquet"
    offset = 0  # rows extracted in earlier chunks: _seq numbers the batch's rows in order
    with StagedParquet(
        client, settings.lake_bucket, counts.staged_key, row_group_rows=STAGED_ROW_GROUP_ROWS
    ) as staged:
        chunks = iter_extracted(
            client,
            settings.landing_bucket,
            keys,
            counts,
            rejects,
            normalize_entity_event,
            lambda row: row[ID_INDEX],
            (NormalizeError,),
            chunk_records=chunk_rows(),
            content=entity_content_hash,
        )
        for rows, sources in chunks:
            columns = list(zip(*rows, strict=False)) if rows else [() for _ in ROW_FIELDS]
            del rows
            size = len(sources)
            seqs = range(batch * SEQ_STRIDE + offset, batch * SEQ_STRIDE + offset + size)
            table = columns_to_table(dict(zip(ENTITY_COLUMNS, columns, strict=False)), seqs)
            frame = suite_frame(table, columns[DETAIL_INDEX], columns[-1])
            del columns
            outcome = validate_entity_rows(
                frame, now=now, max_future_skew_minutes=max_future_skew_minutes, runner=runner
            )
            del frame
            results.append(outcome.expectation_results)
            failed = outcome.failed_rows
            gx_results.append(data_docs.trimmed_result(outcome.gx_result))
            for index, names in failed.items():
                key, position, raw = sources[index]
                rejects.append(
                    QuarantineRecord(key, position, "failed_expectations", raw, sorted(names))
                )
            keep = [i not in failed for i in range(size)] if failed else None
            # Each chunk is staged in id order (a run of row groups): the load merges the runs
            # and copies the hour in id order (id_order).
            staged.write(sort_by_id(table.filter(keep) if keep is not None else table))
            counts.valid += size - len(failed)
            offset += size
            source_columns[SEQ_COLUMN].extend(seqs)
            source_columns["source_key"].extend(source[0] for source in sources)
            source_columns["position"].extend(source[1] for source in sources)
            del sources, table
    sources_key = f"{attempt_sources_prefix(STREAM, run_key, attempt)}{name}.parquet"
    counts.sources_key = write_sources(client, settings.lake_bucket, sources_key, source_columns)
    counts.expectation_results = merge_expectation_results(results)
    counts.results_key = data_docs.write_results(
        client,
        settings.lake_bucket,
        data_docs.results_key(STREAM, run_key, attempt, name),
        gx_results,
    )
    counts.quarantined = dict(sorted(Counter(r.reason for r in rejects).items()))
    counts.quarantine_key = write_quarantine(
        client,
        settings.lake_bucket,
        f"{attempt_quarantine_prefix(STREAM, run_key, attempt)}{name}.jsonl.gz",
        sorted(rejects, key=lambda r: (r.source_key, r.position)),
    )
    return counts.as_dict()
