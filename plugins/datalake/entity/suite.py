"""The expectation suite for normalized ``entity_operations`` rows, as reviewable code.

One row in, one verdict out: every expectation here is a *row-level* (map) expectation, so a
failing row can be named and quarantined while its good neighbours load.

Some facts cannot be expressed by a stock expectation on the raw columns (the event time is
not in the future, ``detail`` is a JSON object with a ``payload``, ``year``/``month`` are the
year/month of ``time``). For those, :func:`derive_helper_columns` computes plain, vectorised
helper columns (names start with ``_``) and the suite checks *those* with ordinary GX
expectations. The helpers only compute facts; all pass/fail decisions are made by GX.

A helper is null when its input is missing or unusable for a reason another expectation
already reports (e.g. ``time`` that does not parse); GX column-map expectations skip nulls, so
every defect is reported once, under the expectation that describes it.

Neither Great Expectations nor pandas is imported at module level: importing GX costs seconds
and this module is reachable from DAG files, which must parse fast.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from datalake.entity_schema import DETAIL_TYPES, ENTITY_COLUMNS, OPERATIONS
from datalake.validation.runner import ROW_COLUMN, SuiteRunner, ValidationOutcome, expectation_name

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd

SUITE_NAME = "entity_operations_rows"

# Fixed-width ISO-8601 UTC, millisecond precision. ``[0-9]`` rather than ``\d``: in
# Python's ``re`` ``\d`` also matches non-ASCII digits. ``\Z`` rather than ``$``: ``$`` also
# matches before a trailing newline. (GX's pandas engine uses ``re.search`` semantics.)
TIME_REGEX = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\Z"
# The same layout as a strftime format, to parse it: a string can match the regex and still
# not be a date (2026-02-30). (Not GX's ExpectColumnValuesToMatchStrftimeFormat: it calls
# ``datetime.strptime`` per row, ~2.5 s per 100k rows; pandas parses the column vectorised.)
TIME_STRFTIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# UUID, any version, hex case-insensitive.
UUID_REGEX = r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z"
# ULID, Crockford base32 (no I, L, O, U), 26 characters, canonical upper case.
ULID_REGEX = r"^[0-9A-HJKMNP-TV-Z]{26}\Z"

NOT_NULL_COLUMNS: tuple[str, ...] = (
    "id",
    "detail-type",
    "operation",
    "account",
    "time",
    "entity_id",
    "schema",
    # Not optional either: ``detail`` carries the payload, ``year``/``month`` are the
    # partition keys of the lake. Without these three a missing value would slip through the
    # helper-based checks below (which skip nulls).
    "detail",
    "month",
    "year",
)

# Helper columns computed by derive_helper_columns() and checked by the suite.
# "time parses": time matches TIME_REGEX and is a real date-time.
TIME_IS_REAL_DATE = "_time_is_real_date"  # bool; null if time is null or not TIME_REGEX
TIME_SECONDS_AFTER_NOW = "_time_seconds_after_now"  # float, time - now; null unless time parses
TIME_YEAR = "_time_year"  # str, year of time ("2026"); null unless time parses
TIME_MONTH = "_time_month"  # str, month of time, unpadded ("1".."12"); null unless time parses
DETAIL_IS_JSON_OBJECT = "_detail_is_json_object"  # bool; null if detail is null
DETAIL_HAS_PAYLOAD = "_detail_has_payload"  # bool; null unless detail is a JSON object

HELPER_COLUMNS: tuple[str, ...] = (
    TIME_IS_REAL_DATE,
    TIME_SECONDS_AFTER_NOW,
    TIME_YEAR,
    TIME_MONTH,
    DETAIL_IS_JSON_OBJECT,
    DETAIL_HAS_PAYLOAD,
)


def _value_expectations(E) -> list[Any]:
    """Required columns, the unique id, the operation and detail type."""
    required = [
        E.ExpectColumnValuesToNotBeNull(column=column, notes=f"`{column}` is required.")
        for column in NOT_NULL_COLUMNS
    ]
    return required + [
        E.ExpectColumnValuesToBeUnique(
            column="id",
            notes="The event id is unique within the batch; every row sharing an id fails.",
        ),
        E.ExpectColumnValuesToBeInSet(
            column="operation",
            value_set=list(OPERATIONS),
            notes="One of the three entity operations.",
        ),
        E.ExpectColumnValuesToBeInSet(
            column="detail-type",
            value_set=list(DETAIL_TYPES),
            notes="EntityOperation (event) or SnapshotOperation (monthly roll-up).",
        ),
    ]


def _time_expectations(E, max_future_skew_minutes: int) -> list[Any]:
    """`time`: its layout, a real instant, not too far in the future."""
    return [
        E.ExpectColumnValuesToMatchRegex(
            column="time",
            regex=TIME_REGEX,
            notes="Fixed-width ISO-8601 UTC with milliseconds, e.g. 2026-11-28T10:15:03.000Z.",
        ),
        E.ExpectColumnValuesToBeInSet(
            column=TIME_IS_REAL_DATE,
            value_set=[True],
            notes="`time` (right layout) is a real instant: 2026-02-30 or 25:00 are not.",
        ),
        E.ExpectColumnValuesToBeBetween(
            column=TIME_SECONDS_AFTER_NOW,
            max_value=max_future_skew_minutes * 60,
            notes=(
                f"`time` is at most {max_future_skew_minutes} min after the validation's `now`."
            ),
        ),
    ]


def _id_and_detail_expectations(E) -> list[Any]:
    """The entity and activity ids, and `detail`: a JSON object with a payload."""
    return [
        E.ExpectColumnValuesToMatchRegex(
            column="entity_id",
            regex=UUID_REGEX,
            notes="`entity_id` (detail.entity) is a UUID.",
        ),
        E.ExpectColumnValuesToMatchRegex(
            column="activity_id",
            regex=ULID_REGEX,
            notes="`activity_id` is a ULID when present (null is allowed).",
        ),
        E.ExpectColumnValuesToBeInSet(
            column=DETAIL_IS_JSON_OBJECT,
            value_set=[True],
            notes="`detail` is valid JSON and its top level is an object.",
        ),
        E.ExpectColumnValuesToBeInSet(
            column=DETAIL_HAS_PAYLOAD,
            value_set=[True],
            notes="The `detail` object has a `payload` key.",
        ),
    ]


def _partition_expectations(E) -> list[Any]:
    """`year` and `month` are those of `time`."""
    return [
        E.ExpectColumnPairValuesToBeEqual(
            column_A="year",
            column_B=TIME_YEAR,
            ignore_row_if="either_value_is_missing",
            notes="`year` is the year of `time`.",
        ),
        E.ExpectColumnPairValuesToBeEqual(
            column_A="month",
            column_B=TIME_MONTH,
            ignore_row_if="either_value_is_missing",
            notes="`month` is the month of `time`, unpadded ('1'..'12').",
        ),
    ]


def build_entity_suite(max_future_skew_minutes: int = 15) -> gx.ExpectationSuite:
    """Build the suite for normalized entity rows (ENTITY_COLUMNS + helper columns).

    ``max_future_skew_minutes``: how far past the validation's ``now`` an event ``time`` may be
    (producer clocks drift); later than that fails ``expect_column_values_to_be_between(
    _time_seconds_after_now)``.
    """
    if max_future_skew_minutes < 0:
        raise ValueError("max_future_skew_minutes must be >= 0")
    import great_expectations as gx

    E = gx.expectations
    expectations: list[Any] = [
        *_value_expectations(E),
        *_time_expectations(E, max_future_skew_minutes),
        *_id_and_detail_expectations(E),
        *_partition_expectations(E),
    ]

    names = [expectation_name(e) for e in expectations]
    if len(set(names)) != len(names):  # names are the keys of the per-row report
        raise AssertionError(f"expectation names are not unique: {names}")
    return gx.ExpectationSuite(name=SUITE_NAME, expectations=expectations)


def _outside_pandas_range(
    out, layout_text, unparsed, now: datetime, is_real, years, months
) -> None:
    """Times pandas cannot hold (before 1677 or after 2262) that are real instants all the
    same: judged with datetime, so that the year 3000 fails "not in the future" rather than
    "not a real instant". Rare; one row at a time."""
    positions = unparsed.to_numpy().nonzero()[0]
    if not len(positions):
        return
    seconds = out[TIME_SECONDS_AFTER_NOW].to_numpy(copy=True)
    for at in positions:
        try:
            when = datetime.strptime(layout_text.iloc[at], TIME_STRFTIME_FORMAT)
            when = when.replace(tzinfo=timezone.utc)
        except ValueError:
            continue  # not a real instant (2026-02-30): is_real stays False
        is_real[at] = True
        seconds[at] = (when - now).total_seconds()
        years[at], months[at] = str(when.year), str(when.month)
    out[TIME_SECONDS_AFTER_NOW] = seconds


def derive_helper_columns(df: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Return a copy of ``df`` with the HELPER_COLUMNS added (vectorised, except the JSON
    parse of ``detail``, which has no vectorised form). ``df`` itself is not modified.

    When ``df`` already has a ``_detail_has_payload`` column (bools, from the normaliser that
    built ``detail`` out of a parsed object), ``detail`` is known to be a JSON object and is
    not parsed again.

    ``now`` must be timezone-aware (the reference instant for the not-in-the-future check).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    missing = [c for c in (*ENTITY_COLUMNS, ROW_COLUMN) if c not in df.columns]
    if missing:
        raise ValueError(f"missing columns: {missing}")

    out = df.copy(deep=False)
    _add_time_helpers(out, now)
    _add_detail_helpers(out, df)
    # One consolidated copy: GX filters the frame once per expectation, and an unconsolidated
    # frame (one block per added column) is re-consolidated on every one of those copies.
    return out.copy()


def _add_time_helpers(out: pd.DataFrame, now: datetime) -> None:
    """TIME_IS_REAL_DATE, TIME_SECONDS_AFTER_NOW, TIME_YEAR and TIME_MONTH, added to ``out``."""
    import numpy as np
    import pandas as pd

    # --- time: only values with the exact layout are parsed (the layout itself is the regex
    # expectation's business; the helpers stay null for those rows, so it is reported once).
    time_col = out["time"]
    has_layout = time_col.notna() & time_col.astype(str).str.match(TIME_REGEX)
    layout_text = time_col.where(has_layout, None).astype(object)
    parsed = pd.to_datetime(layout_text, format=TIME_STRFTIME_FORMAT, errors="coerce", utc=True)
    ok = parsed.notna()
    is_real = np.full(len(out), None, dtype=object)
    is_real[has_layout.to_numpy()] = ok[has_layout].to_numpy()
    now_ts = pd.Timestamp(now).tz_convert(timezone.utc)
    out[TIME_SECONDS_AFTER_NOW] = (parsed - now_ts).dt.total_seconds()  # NaN where NaT
    years = np.full(len(out), None, dtype=object)
    months = np.full(len(out), None, dtype=object)
    if ok.any():
        years[ok.to_numpy()] = parsed[ok].dt.year.astype(str).to_numpy()
        months[ok.to_numpy()] = parsed[ok].dt.month.astype(str).to_numpy()  # unpadded
    _outside_pandas_range(out, layout_text, has_layout & ~ok, now, is_real, years, months)
    out[TIME_IS_REAL_DATE] = pd.Series(is_real, index=out.index, dtype=object)
    out[TIME_YEAR] = pd.Series(years, index=out.index, dtype=object)
    out[TIME_MONTH] = pd.Series(months, index=out.index, dtype=object)


def _add_detail_helpers(out: pd.DataFrame, df: pd.DataFrame) -> None:
    """DETAIL_IS_JSON_OBJECT and DETAIL_HAS_PAYLOAD, added to ``out``."""
    import numpy as np
    import pandas as pd

    # --- detail: JSON object with a "payload" key.
    detail_missing = out["detail"].isna()  # None, NaN, pd.NA alike
    if DETAIL_HAS_PAYLOAD in df.columns:
        # Rows from the normaliser: it wrote `detail` from a parsed JSON object, and knew then
        # whether it had a payload; the text is not parsed again.
        is_object_values = np.where(detail_missing.to_numpy(), None, True)
        has_payload_values = np.where(
            detail_missing.to_numpy(), None, df[DETAIL_HAS_PAYLOAD].to_numpy(dtype=object)
        )
        out[DETAIL_IS_JSON_OBJECT] = pd.Series(is_object_values, index=out.index, dtype=object)
        out[DETAIL_HAS_PAYLOAD] = pd.Series(has_payload_values, index=out.index, dtype=object)
    else:
        is_object: list[bool | None] = []
        has_payload: list[bool | None] = []
        for text, missing_value in zip(
            out["detail"].tolist(), detail_missing.tolist(), strict=False
        ):
            if missing_value:  # reported by the not-null expectation
                is_object.append(None)
                has_payload.append(None)
                continue
            value = _parse_json(text)
            if isinstance(value, dict):
                is_object.append(True)
                has_payload.append("payload" in value)
            else:
                is_object.append(False)
                has_payload.append(None)
        out[DETAIL_IS_JSON_OBJECT] = pd.Series(is_object, index=out.index, dtype=object)
        out[DETAIL_HAS_PAYLOAD] = pd.Series(has_payload, index=out.index, dtype=object)


_NOT_JSON = object()


def _parse_json(text: Any) -> Any:
    """The decoded JSON value of ``text``, or ``_NOT_JSON``."""
    if not isinstance(text, str):
        return _NOT_JSON
    from datalake.hourly.records import loads_or_none

    value = loads_or_none(text)
    # loads_or_none also answers None for JSON `null`; either way it is not an object.
    return _NOT_JSON if value is None else value


def validate_entity_rows(
    df: pd.DataFrame,
    now: datetime,
    max_future_skew_minutes: int = 15,
    runner: SuiteRunner | None = None,
) -> ValidationOutcome:
    """Validate normalized entity rows (ENTITY_COLUMNS + a unique int ``_row`` column).

    ``now`` (timezone-aware) is the reference for the not-in-the-future check: a row whose
    ``time`` is later than ``now + max_future_skew_minutes`` fails. A batch validated in
    chunks passes one ``runner`` (an ``entity_suite_runner``) for all of them.
    """
    if not df[ROW_COLUMN].is_unique:
        raise ValueError(f"{ROW_COLUMN} must be unique")
    work = derive_helper_columns(df, now)
    runner = runner or entity_suite_runner(max_future_skew_minutes)
    # GX sees the columns the suite checks and nothing else (it hashes and filters the whole
    # frame once per expectation).
    return runner.validate(work[[*runner.columns, ROW_COLUMN]])


def entity_suite_runner(max_future_skew_minutes: int = 15) -> SuiteRunner:
    return SuiteRunner(build_entity_suite(max_future_skew_minutes))
