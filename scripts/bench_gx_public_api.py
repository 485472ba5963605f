"""Per-batch time of the entity suite: GX's public path (Batch.validate, what runner.py uses)
against the internal v1 Validator runner.py built before, same process, same 25 000-row frame;
and the public path plus keeping the result for the Data Docs (what a pipeline chunk does).

    PYTHONPATH=plugins .venv/bin/python scripts/bench_gx_public_api.py [rows] [repeats]
"""

from __future__ import annotations

import sys
import timeit
from datetime import datetime, timezone

import pandas as pd

from datalake.entity.suite import ROW_COLUMN, derive_helper_columns, entity_suite_runner
from datalake.entity_schema import ENTITY_COLUMNS
from datalake.validation.data_docs import trimmed_result
from datalake.validation.runner import RESULT_FORMAT, outcome_of

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc)


def frame(rows: int) -> pd.DataFrame:
    good = {
        "id": "",
        "detail-type": "EntityOperation",
        "operation": "updateEntity",
        "source": "entity-service",
        "account": "739224",
        "time": "2026-11-28T10:15:03.000Z",
        "region": "eu-central-1",
        "activity_id": "01JDQ3ZK8V6Y4N2M1P0R9S7T5W",
        "entity_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "detail": '{"entity":"3fa85f64","payload":{"_schema":"opportunity"}}',
        "schema": "opportunity",
        "month": "11",
        "year": "2026",
    }
    records = []
    for i in range(rows):
        row = dict(good, id=f"evt-{i:07d}")
        if i % 100 == 0:  # 1 % bad rows, so the unexpected lists are not empty
            row["operation"] = "mergeEntity"
        records.append(row)
    df = pd.DataFrame(records, columns=list(ENTITY_COLUMNS), dtype=object)
    df[ROW_COLUMN] = range(len(df))
    return df


def internal_validate(runner, df):
    """What runner.py did before: GX's internal v1 Validator, built directly."""
    from great_expectations.validator.v1_validator import Validator

    validator = Validator(
        batch_definition=runner._definition,
        batch_parameters={"dataframe": df},
        result_format=RESULT_FORMAT,
    )
    return outcome_of(validator.validate_expectation_suite(runner.suite), runner.suite)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 25_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    runner = entity_suite_runner()
    df = derive_helper_columns(frame(rows), NOW)
    df = df[[*runner.columns, ROW_COLUMN]]
    public, internal = runner.validate(df), internal_validate(runner, df)  # warm up, same verdicts
    assert public.failed_rows == internal.failed_rows, "verdicts differ"
    assert public.expectation_results == internal.expectation_results, "verdicts differ"
    times = {"public": [], "internal": [], "public+docs": []}
    for _ in range(repeats):  # interleaved, so load on the machine hits both alike
        times["internal"] += timeit.repeat(
            lambda: internal_validate(runner, df), number=1, repeat=1
        )
        times["public"] += timeit.repeat(lambda: runner.validate(df), number=1, repeat=1)
        # what a pipeline chunk does now: validate, then keep GX's result for the Data Docs
        times["public+docs"] += timeit.repeat(
            lambda: trimmed_result(runner.validate(df).gx_result), number=1, repeat=1
        )
    for name, values in times.items():
        values.sort()
        print(
            f"{name:8s} min {values[0]:.3f} s  median {values[len(values) // 2]:.3f} s  "
            f"all {' '.join(f'{v:.3f}' for v in values)}"
        )
    ratio_min = times["public"][0] / times["internal"][0]
    ratio_median = times["public"][repeats // 2] / times["internal"][repeats // 2]
    print(
        f"rows {rows}, failing rows {len(public.failed_rows)}; public/internal: "
        f"min {ratio_min:.3f}, median {ratio_median:.3f}; public+docs/internal: "
        f"min {times['public+docs'][0] / times['internal'][0]:.3f}, "
        f"median {times['public+docs'][repeats // 2] / times['internal'][repeats // 2]:.3f}"
    )


if __name__ == "__main__":
    main()
