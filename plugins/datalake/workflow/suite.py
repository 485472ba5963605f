"""Expectation suites for the flattened workflow rows, as reviewable code.

One frame per table, built from :class:`~datalake.workflow.flatten.FlatExecution`
objects: the ``WorkflowExecution`` frame carries the event's own facts too (event id,
``detail-type``, envelope ``time``), one row per event. Every child frame has a ``_event``
column (index of its event in the batch). All expectations are row-level (map)
expectations, so a failing row is named; an execution is replaced as a whole, so a failing
child row quarantines its whole event (the failed expectation is reported as
``<Table>.<expectation>``).

What is checked (names as in the suites below):

* ids present: event id, execution id and ``orgId``, phase/task ids, closing-reason id and
  title, context id and schema (the API's required fields);
* statuses in their enums, exactly as in the public WorkflowExecution API schema (2023):
  execution ``WorkflowStatus`` (STARTED|DONE|CLOSED, required unless the event is a delete),
  phase ``SectionStatus`` (OPEN|IN_PROGRESS|COMPLETED), task ``StepStatus``
  (UNASSIGNED|ASSIGNED|COMPLETED|SKIPPED|IN_PROGRESS); ``detail-type`` one of the three;
* positions non-negative; phase and task ids unique within their execution;
* timestamps parse (helper ``_<column>_parses``: null when the value is absent, else whether
  the delivered text parsed as ISO-8601); ``lastUpdateTime`` and the envelope ``time`` are
  required; ``lastUpdateTime`` at most ``max_future_skew_minutes`` after the validation's
  ``now`` (a far-future state would otherwise win against every later real update);
* every child row has its execution in the batch (``workflow_execution_id`` in the set of
  execution ids of the batch's events).

As in entity/suite.py, helpers only compute facts; all pass/fail decisions are made by GX.
Neither Great Expectations nor pandas is imported at module level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from datalake.validation.runner import ROW_COLUMN, expectation_name
from datalake.workflow.flatten import (
    DELETED,
    DETAIL_TYPES,
    EXECUTION_STATUSES,
    PHASE_STATUSES,
    TASK_STATUSES,
    FlatExecution,
    raw_column,
)

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd

EVENT_COLUMN = "_event"  # index of the row's event in the batch
LAST_UPDATE_SECONDS_AFTER_NOW = "_last_update_seconds_after_now"

# Table -> (columns validated, timestamp columns whose parse is checked)
FRAME_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "WorkflowExecution": (
        ("event_id", "detail_type", "org_id", "id", "status"),
        ("event_time", "created_at", "last_updated_at", "completed_at"),
    ),
    "WorkflowPhases": (
        ("id", "position", "workflow_execution_id", "status", "org_id"),
        ("started_at", "completed_at"),
    ),
    "WorkflowTasks": (
        ("org_id", "id", "position", "status", "workflow_execution_id"),
        ("created_at", "started_at", "completed_at", "last_updated_at", "due_date"),
    ),
    "WorkflowCancellations": (
        ("org_id", "workflow_execution_id", "closing_reason_id", "closing_reason_title"),
        (),
    ),
    "WorkflowContexts": (
        ("org_id", "workflow_execution_id", "context_entity_id", "context_entity_schema"),
        (),
    ),
}


def parses_column(column: str) -> str:
    return f"_{column}_parses"


def _not_null(E, columns, table):
    return [
        E.ExpectColumnValuesToNotBeNull(column=c, notes=f"{table}: `{c}` is required.")
        for c in columns
    ]


def _parse_checks(E, table):
    return [
        E.ExpectColumnValuesToBeInSet(
            column=parses_column(c),
            value_set=[True],
            notes=f"{table}: `{c}`, when given, is an ISO-8601 timestamp.",
        )
        for c in FRAME_COLUMNS[table][1]
    ]


def _execution_in_batch(E, table, execution_ids):
    return E.ExpectColumnValuesToBeInSet(
        column="workflow_execution_id",
        value_set=sorted(execution_ids),
        notes=f"{table}: every row belongs to an execution of the batch.",
    )


def _execution_expectations(E, max_future_skew_minutes: int) -> list:
    """The WorkflowExecution suite: the event's facts, its status and lastUpdateTime."""
    from great_expectations.expectations.row_conditions import Column

    t = "WorkflowExecution"
    return _not_null(
        E,
        (
            "event_id",
            "detail_type",
            "id",
            "org_id",
            raw_column("event_time"),
            raw_column("last_updated_at"),
        ),
        t,
    ) + [
        E.ExpectColumnValuesToNotBeNull(
            column="status",
            row_condition=Column("detail_type") != DELETED,
            notes=f"{t}: `status` is required unless the event deletes the execution.",
        ),
        E.ExpectColumnValuesToBeUnique(
            column="event_id", notes="The event id is unique within the batch."
        ),
        E.ExpectColumnValuesToBeInSet(
            column="detail_type",
            value_set=list(DETAIL_TYPES),
            notes="WorkflowExecutionCreated, ...Updated or ...Deleted.",
        ),
        E.ExpectColumnValuesToBeInSet(
            column="status", value_set=list(EXECUTION_STATUSES), notes="WorkflowStatus of the API."
        ),
        *_parse_checks(E, t),
        E.ExpectColumnValuesToBeBetween(
            column=LAST_UPDATE_SECONDS_AFTER_NOW,
            max_value=max_future_skew_minutes * 60,
            notes=(
                f"`lastUpdateTime` is at most {max_future_skew_minutes} min after the "
                "validation's `now`."
            ),
        ),
    ]


def build_workflow_suites(
    execution_ids: set[str], max_future_skew_minutes: int = 15
) -> dict[str, gx.ExpectationSuite]:
    """One suite per table; ``execution_ids``: the execution ids of the batch's events."""
    if max_future_skew_minutes < 0:
        raise ValueError("max_future_skew_minutes must be >= 0")
    import great_expectations as gx

    E = gx.expectations
    executions = _execution_expectations(E, max_future_skew_minutes)

    t = "WorkflowPhases"
    phases = _not_null(E, ("id", "workflow_execution_id", "org_id"), t) + [
        E.ExpectColumnValuesToBeInSet(
            column="status", value_set=list(PHASE_STATUSES), notes="SectionStatus of the API."
        ),
        E.ExpectColumnValuesToBeBetween(
            column="position", min_value=0, notes="0-based index among the sections."
        ),
        E.ExpectCompoundColumnsToBeUnique(
            column_list=[EVENT_COLUMN, "id"], notes="A phase id once per execution."
        ),
        *_parse_checks(E, t),
        _execution_in_batch(E, t, execution_ids),
    ]

    t = "WorkflowTasks"
    tasks = _not_null(E, ("id", "workflow_execution_id", "org_id"), t) + [
        E.ExpectColumnValuesToBeInSet(
            column="status", value_set=list(TASK_STATUSES), notes="StepStatus of the API."
        ),
        E.ExpectColumnValuesToBeBetween(
            column="position", min_value=0, notes="0-based index within the phase."
        ),
        E.ExpectCompoundColumnsToBeUnique(
            column_list=[EVENT_COLUMN, "id"], notes="A task id once per execution."
        ),
        *_parse_checks(E, t),
        _execution_in_batch(E, t, execution_ids),
    ]

    t = "WorkflowCancellations"
    cancellations = _not_null(
        E, ("workflow_execution_id", "org_id", "closing_reason_id", "closing_reason_title"), t
    )
    cancellations.append(_execution_in_batch(E, t, execution_ids))

    t = "WorkflowContexts"
    contexts = _not_null(
        E, ("workflow_execution_id", "org_id", "context_entity_id", "context_entity_schema"), t
    )
    contexts.append(_execution_in_batch(E, t, execution_ids))

    suites = {}
    for table, expectations in (
        ("WorkflowExecution", executions),
        ("WorkflowPhases", phases),
        ("WorkflowTasks", tasks),
        ("WorkflowCancellations", cancellations),
        ("WorkflowContexts", contexts),
    ):
        names = [expectation_name(e) for e in expectations]
        if len(set(names)) != len(names):
            raise AssertionError(f"{table}: expectation names are not unique: {names}")
        suites[table] = gx.ExpectationSuite(name=f"workflow_{table}", expectations=expectations)
    return suites


def build_frames(flats: list[FlatExecution], now: datetime) -> dict[str, pd.DataFrame]:
    """The frames the suites run on: validated columns, ``_<ts>_parses`` helpers, ``_row``,
    ``_event`` (and, for executions, the seconds between ``lastUpdateTime`` and ``now``)."""
    import pandas as pd

    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(timezone.utc)
    frames = {}
    for table, (columns, timestamps) in FRAME_COLUMNS.items():
        records = []
        for index, flat in enumerate(flats):
            rows = (
                [{**flat.execution, **flat.event}]
                if table == "WorkflowExecution"
                else flat.rows(table)
            )
            for row in rows:
                record = {c: row.get(c) for c in columns}
                record[EVENT_COLUMN] = index
                for c in timestamps:
                    raw = row.get(raw_column(c))
                    record[parses_column(c)] = None if raw is None else row.get(c) is not None
                    if table == "WorkflowExecution" and c in ("event_time", "last_updated_at"):
                        record[raw_column(c)] = raw
                if table == "WorkflowExecution":
                    parsed = row.get("last_updated_at")
                    record[LAST_UPDATE_SECONDS_AFTER_NOW] = (
                        (parsed - now).total_seconds() if parsed else None
                    )
                records.append(record)
        frame = (
            pd.DataFrame.from_records(records)
            if records
            else pd.DataFrame(columns=[*columns, EVENT_COLUMN])
        )
        for c in timestamps:  # keep the helpers as object columns: True/False/None
            if parses_column(c) in frame:
                frame[parses_column(c)] = frame[parses_column(c)].astype(object)
        if "position" in frame:
            frame["position"] = pd.to_numeric(frame["position"], errors="coerce")
        if LAST_UPDATE_SECONDS_AFTER_NOW in frame:
            frame[LAST_UPDATE_SECONDS_AFTER_NOW] = pd.to_numeric(
                frame[LAST_UPDATE_SECONDS_AFTER_NOW], errors="coerce"
            )
        frame[ROW_COLUMN] = range(len(frame))
        frames[table] = frame
    return frames


@dataclass
class WorkflowValidation:
    # event index -> sorted "<Table>.<expectation>" names it failed (only failing events)
    failed_events: dict[int, list[str]] = field(default_factory=dict)
    # per table and expectation: {"name", "success", "unexpected_count"} (JSON-able)
    expectation_results: list[dict] = field(default_factory=list)
    # GX's ExpectationSuiteValidationResult of each table validated (for the Data Docs)
    gx_results: list = field(default_factory=list, repr=False, compare=False)

    @property
    def success(self) -> bool:
        return not self.failed_events and all(r["success"] for r in self.expectation_results)


def validate_workflow_rows(
    flats: list[FlatExecution], now: datetime, max_future_skew_minutes: int = 15
) -> WorkflowValidation:
    """Run the five suites on a batch's flattened events; failing rows name their event."""
    from datalake.validation.runner import run_suite

    outcome = WorkflowValidation()
    if not flats:
        return outcome
    frames = build_frames(flats, now)
    execution_ids = {f.execution["id"] for f in flats if f.execution["id"] is not None}
    suites = build_workflow_suites(execution_ids, max_future_skew_minutes)
    failed: dict[int, set[str]] = {}
    for table, suite in suites.items():
        frame = frames[table]
        if frame.empty:
            continue
        result = run_suite(frame, suite)
        outcome.gx_results.append(result.gx_result)
        events = frame[EVENT_COLUMN].tolist()
        for row, names in result.failed_rows.items():
            failed.setdefault(int(events[row]), set()).update(f"{table}.{n}" for n in names)
        outcome.expectation_results += [
            {**r, "name": f"{table}.{r['name']}"} for r in result.expectation_results
        ]
    outcome.failed_events = {i: sorted(names) for i, names in sorted(failed.items())}
    return outcome
