"""The entity expectation suite (datalake.validation): one broken fact -> exactly one named
expectation fails for exactly that row, and its neighbours pass.

Great Expectations is slow to import (~4-5 s) and each validation costs ~0.2 s, so the cases
are validated together in one module-scoped run wherever they are independent.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pandas as pd
import pytest

from datalake.entity_schema import ENTITY_COLUMNS

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc)

NOT_NULL = "expect_column_values_to_not_be_null({})"
UNIQUE_ID = "expect_column_values_to_be_unique(id)"
OPERATION_IN_SET = "expect_column_values_to_be_in_set(operation)"
DETAIL_TYPE_IN_SET = "expect_column_values_to_be_in_set(detail-type)"
TIME_LAYOUT = "expect_column_values_to_match_regex(time)"
TIME_REAL_DATE = "expect_column_values_to_be_in_set(_time_is_real_date)"
TIME_NOT_FUTURE = "expect_column_values_to_be_between(_time_seconds_after_now)"
ENTITY_UUID = "expect_column_values_to_match_regex(entity_id)"
ACTIVITY_ULID = "expect_column_values_to_match_regex(activity_id)"
DETAIL_JSON_OBJECT = "expect_column_values_to_be_in_set(_detail_is_json_object)"
DETAIL_PAYLOAD = "expect_column_values_to_be_in_set(_detail_has_payload)"
YEAR_OF_TIME = "expect_column_pair_values_to_be_equal(year,_time_year)"
MONTH_OF_TIME = "expect_column_pair_values_to_be_equal(month,_time_month)"


def good_row(i: int) -> dict:
    return {
        "id": f"evt-{i:06d}",
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


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(ENTITY_COLUMNS), dtype=object)
    df["_row"] = range(len(df))
    return df


# (label, changes to a good row, expected failed expectation names)
CASES: list[tuple[str, dict, list[str]]] = [
    *[
        (f"null {c}", {c: None}, [NOT_NULL.format(c)])
        for c in (
            "id",
            "time",
            "entity_id",
            "account",
            "operation",
            "detail-type",
            "schema",
            "detail",
            "month",
            "year",
        )
    ],
    ("unknown operation", {"operation": "mergeEntity"}, [OPERATION_IN_SET]),
    ("unknown detail-type", {"detail-type": "EntityOperationX"}, [DETAIL_TYPE_IN_SET]),
    # strptime would accept 6 fraction digits; the fixed-width layout does not
    ("time not fixed width", {"time": "2026-11-28T10:15:03.000000Z"}, [TIME_LAYOUT]),
    ("time with offset", {"time": "2026-11-28T10:15:03.000+00:00"}, [TIME_LAYOUT]),
    ("time 30 February", {"time": "2026-02-30T10:15:03.000Z", "month": "2"}, [TIME_REAL_DATE]),
    ("time hour 25", {"time": "2026-11-28T25:15:03.000Z"}, [TIME_REAL_DATE]),
    ("time beyond skew", {"time": "2026-11-28T12:15:00.001Z"}, [TIME_NOT_FUTURE]),
    ("entity_id not a uuid", {"entity_id": "3fa85f64-5717-4562-b3fc-2c963f66afa"}, [ENTITY_UUID]),
    (
        "activity_id not a ulid (has U)",
        {"activity_id": "01JDQ3ZK8V6Y4N2M1P0R9S7T5U"},
        [ACTIVITY_ULID],
    ),
    ("activity_id lower case", {"activity_id": "01jdq3zk8v6y4n2m1p0r9s7t5w"}, [ACTIVITY_ULID]),
    ("detail invalid json", {"detail": '{"payload":{}'}, [DETAIL_JSON_OBJECT]),
    ("detail json but not an object", {"detail": '["payload"]'}, [DETAIL_JSON_OBJECT]),
    ("detail without payload", {"detail": '{"entity":"x","diff":{}}'}, [DETAIL_PAYLOAD]),
    ("month zero-padded", {"time": "2026-01-05T00:00:00.000Z", "month": "01"}, [MONTH_OF_TIME]),
    ("month of another time", {"month": "10"}, [MONTH_OF_TIME]),
    ("year of another time", {"year": "2025"}, [YEAR_OF_TIME]),
]

# Rows that must pass although they look unusual.
GOOD_VARIANTS: list[tuple[str, dict]] = [
    ("null activity_id", {"activity_id": None}),
    ("null source and region", {"source": None, "region": None}),
    ("upper-case uuid", {"entity_id": "3FA85F64-5717-4562-B3FC-2C963F66AFA6"}),
    ("snapshot row", {"detail-type": "SnapshotOperation", "time": "2026-11-01T00:00:00.000Z"}),
    ("create", {"operation": "createEntity"}),
    ("delete", {"operation": "deleteEntity"}),
    ("month 1 unpadded", {"time": "2026-01-05T00:00:00.000Z", "month": "1"}),
    (
        "leap day",
        {
            "time": "2024-02-29T23:59:59.999Z",
            "month": "2",
            "year": "2024",
            "activity_id": "01JDQ3ZK8V6Y4N2M1P0R9S7T5X",
        },
    ),
    ("within skew", {"time": "2026-11-28T12:14:59.999Z"}),
    ("exactly at skew", {"time": "2026-11-28T12:15:00.000Z"}),
    ("payload null", {"detail": '{"payload":null}'}),
]


@pytest.fixture(scope="module")
def validate():
    from datalake.entity.suite import validate_entity_rows

    return validate_entity_rows


@pytest.fixture(scope="module")
def mixed(validate):
    """Good row, then each broken case, each followed by a good neighbour; then the good
    variants. Returns (outcome, {row number: label})."""
    rows: list[dict] = []
    labels: dict[int, str] = {}

    def add(label: str, changes: dict) -> None:
        labels[len(rows)] = label
        rows.append({**good_row(len(rows)), **changes})

    add("good", {})
    for label, changes, _ in CASES:
        add(label, changes)
        add(f"neighbour of {label}", {})
    for label, changes in GOOD_VARIANTS:
        add(label, changes)
    return validate(frame(rows), NOW), labels


def test_module_import_does_not_import_gx_or_pandas():
    code = (
        "import sys, datalake.entity.suite, datalake.validation.runner;"
        "print(sorted(m for m in ('great_expectations', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_valid_frame_passes(validate):
    outcome = validate(frame([good_row(i) for i in range(5)]), NOW)
    assert outcome.success
    assert outcome.failed_rows == {}
    assert outcome.expectation_results
    assert all(r["success"] and r["unexpected_count"] == 0 for r in outcome.expectation_results)


def test_empty_frame_passes(validate):
    outcome = validate(frame([]), NOW)
    assert outcome.success
    assert outcome.failed_rows == {}


@pytest.mark.parametrize("label,changes,expected", CASES, ids=[c[0] for c in CASES])
def test_each_broken_fact_fails_exactly_its_expectation(mixed, label, changes, expected):
    outcome, labels = mixed
    row = next(r for r, lab in labels.items() if lab == label)
    assert outcome.failed_rows.get(row) == sorted(expected)
    assert row + 1 not in outcome.failed_rows  # the good neighbour


def test_only_broken_rows_fail(mixed):
    outcome, labels = mixed
    broken = {label for label, _, _ in CASES}
    assert {labels[r] for r in outcome.failed_rows} == broken
    assert not outcome.success


def test_expectation_results_are_small_and_json_able(mixed):
    import json

    outcome, _ = mixed
    json.dumps(outcome.expectation_results)
    names = [r["name"] for r in outcome.expectation_results]
    assert len(names) == len(set(names))
    by_name = {r["name"]: r for r in outcome.expectation_results}
    assert by_name[MONTH_OF_TIME] == {
        "name": MONTH_OF_TIME,
        "success": False,
        "unexpected_count": 2,
    }
    assert by_name[ENTITY_UUID]["success"] is False
    assert by_name[UNIQUE_ID] == {"name": UNIQUE_ID, "success": True, "unexpected_count": 0}


def test_duplicate_ids_flag_every_copy(validate):
    rows = [good_row(i) for i in range(4)]
    rows[3]["id"] = rows[1]["id"]
    outcome = validate(frame(rows), NOW)
    assert outcome.failed_rows == {1: [UNIQUE_ID], 3: [UNIQUE_ID]}
    assert not outcome.success


def test_future_skew_is_a_parameter(validate):
    rows = [good_row(0), {**good_row(1), "time": "2026-11-28T12:59:00.000Z"}]
    assert validate(frame(rows), NOW).failed_rows == {1: [TIME_NOT_FUTURE]}
    assert validate(frame(rows), NOW, max_future_skew_minutes=60).success


def test_suite_is_reviewable():
    from datalake.entity.suite import build_entity_suite, expectation_name

    suite = build_entity_suite(max_future_skew_minutes=5)
    names = [expectation_name(e) for e in suite.expectations]
    assert len(names) == len(set(names))
    assert {TIME_LAYOUT, TIME_REAL_DATE, DETAIL_PAYLOAD, YEAR_OF_TIME, UNIQUE_ID} <= set(names)
    between = next(e for e in suite.expectations if expectation_name(e) == TIME_NOT_FUTURE)
    assert between.max_value == 300


def test_caller_frame_untouched_and_naive_now_rejected(validate):
    df = frame([good_row(0)])
    before = list(df.columns)
    validate(df, NOW)
    assert list(df.columns) == before
    with pytest.raises(ValueError):
        validate(df, datetime(2026, 11, 28, 12, 0))


def test_pyarrow_backed_strings_give_the_same_verdicts(validate):
    """The hourly pipeline hands the suite Arrow-backed string columns (entity_batch.suite_frame):
    every row and every expectation must come out exactly as with object columns."""
    import pyarrow as pa

    from datalake.entity.parquet import columns_to_table

    rows = []
    for _label, changes, _ in CASES:
        rows.append({**good_row(len(rows)), **changes})
        rows.append(good_row(len(rows)))
    rows += [{**good_row(len(rows) + i), **changes} for i, (_, changes) in enumerate(GOOD_VARIANTS)]
    objects = frame(rows)
    table = columns_to_table({c: objects[c].tolist() for c in ENTITY_COLUMNS})
    arrow = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    arrow["_row"] = range(len(arrow))
    assert all(isinstance(arrow[c].dtype, pd.StringDtype) for c in ENTITY_COLUMNS)
    by_objects, by_arrow = validate(objects, NOW), validate(arrow, NOW)
    assert by_arrow.failed_rows == by_objects.failed_rows and by_objects.failed_rows
    assert by_arrow.expectation_results == by_objects.expectation_results
    assert by_arrow.success == by_objects.success


def test_suite_frame_stand_in_for_detail_keeps_the_verdicts(validate):
    """entity_batch.suite_frame hands GX the length of `detail`, not its text: the verdicts
    (a missing detail included) are the ones the text gives."""
    from datalake.entity.batch import suite_frame
    from datalake.entity.parquet import columns_to_table

    rows = [good_row(i) for i in range(6)]
    rows[2]["detail"] = None
    rows[4]["time"] = "2026-11-28T25:15:03.000Z"
    detail = [None if r["detail"] is None else r["detail"].encode() for r in rows]
    table = columns_to_table({c: [r[c] for r in rows] for c in ENTITY_COLUMNS})
    stand_in = suite_frame(table, detail, [True] * len(rows))
    assert stand_in["detail"].isna().tolist() == [d is None for d in detail]
    by_stand_in, by_text = validate(stand_in, NOW), validate(frame(rows), NOW)
    assert (
        by_stand_in.failed_rows
        == by_text.failed_rows
        == {2: [NOT_NULL.format("detail")], 4: [TIME_REAL_DATE]}
    )
    assert by_stand_in.expectation_results == by_text.expectation_results
