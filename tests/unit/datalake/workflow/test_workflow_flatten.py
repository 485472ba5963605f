"""Workflow execution event -> rows of the five workflow tables (mapping decisions)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pytest

from datalake.workflow.flatten import (
    CANCELLATION_COLUMNS,
    CONTEXT_COLUMNS,
    EXECUTION_COLUMNS,
    PHASE_COLUMNS,
    TABLES,
    TASK_COLUMNS,
    FlattenError,
    arrow_schema,
    flatten_workflow_event,
    rows_to_arrow,
)

UTC = timezone.utc


def envelope(
    detail, detail_type="WorkflowExecutionUpdated", event_id="evt-1", time="2026-11-02T10:15:03Z"
):
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": "workflow-execution-api",
        "account": "123456789012",
        "time": time,
        "region": "eu-central-1",
        "resources": [],
        "detail": detail,
    }


# The WorkflowExecution example of the public WorkflowExecution API schema (2023) (no `type`
# fields, a naive dueDate), with an org, contexts and closing reasons added.
API_EXAMPLE = {
    "id": "8gja72h6kas6h",
    "orgId": "739224",
    "definitionId": "def1",
    "name": "Lead Qualification",
    "trigger": "MANUAL",
    "status": "CLOSED",
    "creationTime": "2021-04-27T12:01:13.000Z",
    "lastUpdateTime": "2021-04-28T09:00:00.000+02:00",
    "completedTime": "2021-04-28T07:00:00.000Z",
    "dueDate": "2021-04-27T12:01:13.000Z",
    "assignedTo": ["252", "29052"],
    "contexts": [
        {"id": "e-1", "title": "Opp 1", "schema": "opportunity"},
        {"id": "e-2", "title": "Jürgen Müller", "schema": "contact"},
    ],
    "selectedClosingReasons": [
        {"id": "cr1", "title": "Kunde hat abgesagt"},
        {"id": "cr2", "title": "Preis zu hoch"},
    ],
    "configuredClosingReasonSnapshot": [
        {"id": "cr1", "title": "Kunde hat abgesagt"},
        {"id": "cr2", "title": "Preis zu hoch"},
        {"id": "cr3", "title": "Other"},
    ],
    "flow": [
        {
            "id": "sectionId1",
            "name": "Initial Information Gathering",
            "status": "IN_PROGRESS",
            "startedTime": "2021-04-27T13:00:00.000Z",
            "steps": [
                {
                    "id": "sada5641f3a21",
                    "name": "Call client and confirm address and product",
                    "status": "ASSIGNED",
                    "assignedTo": ["11"],
                },
                {
                    "id": "sada5641f3a22",
                    "name": "Check product availability",
                    "status": "UNASSIGNED",
                },
                {
                    "id": "sada5641f3a23",
                    "name": "Send email confirming contact with the client",
                    "status": "SKIPPED",
                },
            ],
        },
        {
            "id": "firstLevelStepId1",
            "name": "Print and send catalog",
            "status": "SKIPPED",
            "dueDate": "2023-01-15T20:00:00",
        },
        {
            "id": "sectionId2",
            "name": "Offer",
            "type": "SECTION",
            "status": "OPEN",
            "steps": [
                {
                    "id": "s2a",
                    "name": "Write offer",
                    "type": "STEP",
                    "status": "IN_PROGRESS",
                    "assignedTo": ["11", "12"],
                    "assignedToInProgress": "12",
                    "manuallyCreated": True,
                    "enabled": True,
                    "created": "2021-04-27T12:01:13.000Z",
                    "lastUpdated": "2021-04-27T15:00:00.000Z",
                    "startedTime": "2021-04-27T15:00:00.000Z",
                    "definitionId": "d-s2a",
                    "entityRefId": "ref-1",
                }
            ],
        },
        {
            "id": "firstLevelStepId2",
            "name": "Send invoice",
            "type": "STEP",
            "status": "UNASSIGNED",
            "assignedTo": [],
        },
    ],
}


def test_executions_phases_and_tasks_of_the_api_example():
    flat = flatten_workflow_event(envelope(copy.deepcopy(API_EXAMPLE)))
    execution = flat.execution
    assert {c: execution[c] for c in EXECUTION_COLUMNS} == {
        "org_id": "739224",
        "id": "8gja72h6kas6h",
        "name": "Lead Qualification",
        "status": "CLOSED",
        "definition_id": "def1",
        "created_at": datetime(2021, 4, 27, 12, 1, 13, tzinfo=UTC),
        "last_updated_at": datetime(2021, 4, 28, 7, 0, tzinfo=UTC),  # +02:00 converted to UTC
        "started_at": datetime(2021, 4, 27, 12, 1, 13, tzinfo=UTC),  # creationTime doubles as start
        "completed_at": datetime(2021, 4, 28, 7, 0, tzinfo=UTC),
    }
    assert flat.event["event_id"] == "evt-1" and flat.event["execution_id"] == "8gja72h6kas6h"
    assert flat.event["last_update_time"] == datetime(2021, 4, 28, 7, 0, tzinfo=UTC)
    assert flat.event["event_time"] == datetime(2026, 11, 2, 10, 15, 3, tzinfo=UTC)
    assert flat.deleted is False

    # Sections are phases, positioned among sections only.
    assert [(p["id"], p["position"], p["name"], p["status"]) for p in flat.phases] == [
        ("sectionId1", 0, "Initial Information Gathering", "IN_PROGRESS"),
        ("sectionId2", 1, "Offer", "OPEN"),
    ]
    assert all(
        p["workflow_execution_id"] == "8gja72h6kas6h" and p["org_id"] == "739224"
        for p in flat.phases
    )
    assert (
        flat.phases[0]["created_at"] == execution["created_at"]
    )  # a section has no own creation time
    assert flat.phases[0]["started_at"] == datetime(2021, 4, 27, 13, tzinfo=UTC)
    assert flat.phases[0]["completed_at"] is None

    # Tasks: position within their phase; top-level steps positioned among top-level steps,
    # with a null phase.
    tasks = {t["id"]: t for t in flat.tasks}
    assert [(t["id"], t["phase_id"], t["phase_name"], t["position"]) for t in flat.tasks] == [
        ("sada5641f3a21", "sectionId1", "Initial Information Gathering", 0),
        ("sada5641f3a22", "sectionId1", "Initial Information Gathering", 1),
        ("sada5641f3a23", "sectionId1", "Initial Information Gathering", 2),
        ("firstLevelStepId1", None, None, 0),
        ("s2a", "sectionId2", "Offer", 0),
        ("firstLevelStepId2", None, None, 1),
    ]
    assert tasks["firstLevelStepId1"]["due_date"] == datetime(
        2023, 1, 15, 20, tzinfo=UTC
    )  # naive = UTC
    assert tasks["sada5641f3a21"]["assigned_to"] == "11"
    assert tasks["s2a"]["assigned_to"] == "11,12"  # comma-joined, API order
    assert tasks["firstLevelStepId2"]["assigned_to"] is None  # empty list
    assert tasks["sada5641f3a22"]["assigned_to"] is None  # missing
    s2a = tasks["s2a"]
    assert (
        s2a["assigned_to_in_progress"],
        s2a["manually_created"],
        s2a["enabled"],
        s2a["definition_id"],
        s2a["entity_ref_id"],
    ) == ("12", True, True, "d-s2a", "ref-1")
    assert (s2a["created_at"], s2a["last_updated_at"], s2a["started_at"], s2a["completed_at"]) == (
        datetime(2021, 4, 27, 12, 1, 13, tzinfo=UTC),
        datetime(2021, 4, 27, 15, tzinfo=UTC),
        datetime(2021, 4, 27, 15, tzinfo=UTC),
        None,
    )
    assert (
        tasks["sada5641f3a22"]["manually_created"] is None
        and tasks["sada5641f3a22"]["enabled"] is None
    )

    # Cancellations from selectedClosingReasons (not the configured snapshot); contexts one row
    # each.
    assert [(c["closing_reason_id"], c["closing_reason_title"]) for c in flat.cancellations] == [
        ("cr1", "Kunde hat abgesagt"),
        ("cr2", "Preis zu hoch"),
    ]
    assert [(c["context_entity_id"], c["context_entity_schema"]) for c in flat.contexts] == [
        ("e-1", "opportunity"),
        ("e-2", "contact"),
    ]
    for table, columns in TABLES.items():
        for row in flat.rows(table):
            assert set(columns) <= set(row)


def test_all_timestamps_are_timezone_aware_utc():
    flat = flatten_workflow_event(envelope(copy.deepcopy(API_EXAMPLE)))
    for table, columns in TABLES.items():
        for row in flat.rows(table):
            for column in columns:
                value = row[column]
                if isinstance(value, datetime):
                    assert value.utcoffset().total_seconds() == 0 and value.tzinfo is not None


def test_detail_as_json_string_and_deleted_event():
    flat = flatten_workflow_event(
        envelope(json.dumps(API_EXAMPLE), detail_type="WorkflowExecutionDeleted")
    )
    assert flat.deleted and flat.event["detail_type"] == "WorkflowExecutionDeleted"
    assert len(flat.tasks) == 6


def test_no_flow_no_children_and_minimal_detail():
    flat = flatten_workflow_event(
        envelope({"id": "x", "orgId": 728134, "lastUpdateTime": "2026-11-02T10:00:00Z"})
    )
    assert flat.execution["org_id"] == "728134"  # numeric org id as text
    assert (flat.phases, flat.tasks, flat.cancellations, flat.contexts) == ([], [], [], [])


def test_unparseable_timestamp_is_kept_raw_for_validation():
    detail = copy.deepcopy(API_EXAMPLE) | {"lastUpdateTime": "28/11/2026 10:15:03"}
    flat = flatten_workflow_event(envelope(detail, time="not-a-timestamp"))
    assert flat.execution["last_updated_at"] is None
    assert flat.execution["_raw_last_updated_at"] == "28/11/2026 10:15:03"
    assert flat.event["event_time"] is None and flat.event["_raw_event_time"] == "not-a-timestamp"


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-31",
        "2026-W53-4",
        "2026-W53-4T10:00:00Z",
        "20261231T100000Z",
        "2026-12-31T10:00:00+00:00:30",
        "2026-12-31T10:00Z",
        "2026-12-31 10:00:00Z",
    ],
)
def test_timestamps_that_are_not_full_date_times_are_not_guessed(value):
    """A date gets no invented time of day, a week date or an offset with seconds no reading
    of ours: it does not parse, and the suite quarantines the event."""
    detail = copy.deepcopy(API_EXAMPLE) | {"lastUpdateTime": value}
    flat = flatten_workflow_event(envelope(detail, time=value))
    assert flat.execution["last_updated_at"] is None
    assert flat.execution["_raw_last_updated_at"] == value
    assert flat.event["event_time"] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-31T10:00:00Z", datetime(2026, 12, 31, 10, tzinfo=UTC)),
        ("2026-12-31T11:00:00.5+01:00", datetime(2026, 12, 31, 10, 0, 0, 500000, tzinfo=UTC)),
        # The API example: no offset is UTC.
        ("2023-01-15T20:00:00", datetime(2023, 1, 15, 20, tzinfo=UTC)),
    ],
)
def test_full_date_times_parse(value, expected):
    flat = flatten_workflow_event(envelope(copy.deepcopy(API_EXAMPLE) | {"lastUpdateTime": value}))
    assert flat.execution["last_updated_at"] == expected


def test_the_envelope_time_is_eventbridge_layout_only():
    ok = flatten_workflow_event(
        envelope(copy.deepcopy(API_EXAMPLE), time="2026-11-02T10:15:03.250Z")
    )
    assert ok.event["event_time"] == datetime(2026, 11, 2, 10, 15, 3, 250000, tzinfo=UTC)
    flat = flatten_workflow_event(
        envelope(copy.deepcopy(API_EXAMPLE), time="2026-11-02T11:15:03+01:00")
    )
    assert flat.event["event_time"] is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e["detail"].update(orgId=["739224"]), "wrong_type:detail.orgId"),
        (lambda e: e["detail"].update(flow="[]"), "wrong_type:detail.flow"),
        (
            lambda e: e["detail"].update(lastUpdateTime=1_795_000_000_000),
            "wrong_type:detail.lastUpdateTime",
        ),
        (lambda e: e.update(time=1_795_000_000), "wrong_type:time"),
        (lambda e: e.update(detail="{not json"), "invalid_detail_json"),
        (lambda e: e.pop("detail"), "missing_field:detail"),
        (lambda e: e.update(detail=[1]), "wrong_type:detail"),
        (
            lambda e: e["detail"]["flow"][0].update(type="GATEWAY"),
            "unknown_flow_item_type:detail.flow[0].type",
        ),
        (
            lambda e: e["detail"]["flow"][0].update(steps={"a": 1}),
            "wrong_type:detail.flow[0].steps",
        ),
        (
            lambda e: e["detail"]["flow"][0]["steps"].append(
                {"id": "n", "type": "SECTION", "steps": []}
            ),
            "section_in_section:detail.flow[0].steps[3]",
        ),
        (
            lambda e: e["detail"]["flow"][2]["steps"][0].update(enabled="yes"),
            "wrong_type:detail.flow[2].steps[0].enabled",
        ),
        (
            lambda e: e["detail"]["flow"][2]["steps"][0].update(assignedTo=["1,2"]),
            "comma_in_id:detail.flow[2].steps[0].assignedTo",
        ),
        (lambda e: e["detail"].update(contexts={"id": "x"}), "wrong_type:detail.contexts"),
        (
            lambda e: e["detail"]["selectedClosingReasons"].append("cr9"),
            "wrong_type:detail.selectedClosingReasons[2]",
        ),
    ],
)
def test_what_cannot_become_rows_is_rejected_with_a_reason(change, reason):
    event = envelope(copy.deepcopy(API_EXAMPLE))
    change(event)
    with pytest.raises(FlattenError) as info:
        flatten_workflow_event(event)
    assert str(info.value) == reason


def test_arrow_schemas_are_typed_like_the_warehouse():
    import pyarrow as pa

    flat = flatten_workflow_event(envelope(copy.deepcopy(API_EXAMPLE)))
    tasks = rows_to_arrow(flat.tasks, TASK_COLUMNS, staged=True)
    assert tasks.column_names == [*TASK_COLUMNS, "_event_id", "_seq"]
    assert tasks.schema.field("position").type == pa.int32()
    assert tasks.schema.field("enabled").type == pa.bool_()
    assert tasks.schema.field("due_date").type == pa.timestamp("us", tz="UTC")
    assert tasks.num_rows == 6
    for columns in (EXECUTION_COLUMNS, PHASE_COLUMNS, CANCELLATION_COLUMNS, CONTEXT_COLUMNS):
        assert arrow_schema(columns).names == list(columns)


def _ddl_text_widths(relative: str, table: str) -> dict[str, int]:
    """Column -> varchar width of one table (or temp stage table) in an include/sql file."""
    import re
    from pathlib import Path

    sql = (Path(__file__).resolve().parents[4] / "include" / "sql" / relative).read_text()
    body = sql[sql.index(f"{table} (") :]
    body = body[: body.index(";")]
    return {name: int(width) for name, width in re.findall(r"\b(\w+)\s+varchar\((\d+)\)", body)}


def test_text_widths_are_the_warehouse_columns():
    from datalake.workflow.flatten import TEXT_WIDTHS

    for ddl in ("warehouse/ddl.sql", "redshift/ddl.sql"):
        for table in TABLES:
            widths = _ddl_text_widths(ddl, f"epilot_datalake.{table}")
            assert TEXT_WIDTHS[table] == widths, (ddl, table)
    for stage in ("events", *TABLES):
        widths = _ddl_text_widths("redshift/stage_workflow.sql", f"stage_workflow_{stage.lower()}")
        widths.pop("_event_id", None)
        widths.pop("content_hash", None)  # ours: 64 hex digits (content_hash_is_64_hex_digits)
        assert TEXT_WIDTHS[stage] == widths, stage


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        # 600 characters, 1200 bytes: fits a PostgreSQL varchar(1024), not Redshift's
        (
            lambda e: e["detail"]["flow"][2]["steps"][0].update(name="ü" * 600),
            "too_long:WorkflowTasks.name",
        ),
        (lambda e: e["detail"].update(name="名" * 400), "too_long:WorkflowExecution.name"),
        (lambda e: e["detail"]["flow"][0].update(name="é" * 513), "too_long:WorkflowPhases.name"),
        (
            lambda e: e["detail"]["selectedClosingReasons"][0].update(title="x" * 1025),
            "too_long:WorkflowCancellations.closing_reason_title",
        ),
        (lambda e: e.update(id="e" * 257), "too_long:events.event_id"),
    ],
)
def test_a_value_too_long_in_bytes_rejects_its_event_by_name(change, reason):
    event = envelope(copy.deepcopy(API_EXAMPLE))
    change(event)
    with pytest.raises(FlattenError) as info:
        flatten_workflow_event(event)
    assert str(info.value) == reason


def test_a_value_exactly_as_wide_as_its_column_in_bytes_is_kept():
    event = envelope(copy.deepcopy(API_EXAMPLE))
    event["detail"]["flow"][2]["steps"][0]["name"] = "ü" * 512  # 1024 bytes
    names = [task["name"] for task in flatten_workflow_event(event).tasks]
    assert "ü" * 512 in names


# ------------------------------------------------------------------------ content hash


def test_content_hash_is_the_stored_content_not_the_delivered_bytes():
    """A re-delivery with its keys in another order, a time written another way for the same
    instant, or a detail sent as a JSON string is the same content; any stored value that
    differs (a task's name, a phase moved, the envelope's time) is another."""
    flat = flatten_workflow_event(envelope(copy.deepcopy(API_EXAMPLE)))
    assert len(flat.content_hash) == 64 and int(flat.content_hash, 16) >= 0

    reordered = dict(reversed(list(copy.deepcopy(API_EXAMPLE).items())))
    reordered["lastUpdateTime"] = "2021-04-28T07:00:00Z"  # the same instant as +02:00 09:00
    as_text = envelope(json.dumps(reordered, indent=2))
    assert flatten_workflow_event(as_text).content_hash == flat.content_hash

    def changed(change, **envelope_args):
        detail = copy.deepcopy(API_EXAMPLE)
        change(detail)
        return flatten_workflow_event(envelope(detail, **envelope_args)).content_hash

    others = {
        changed(lambda d: d["flow"][0]["steps"][1].update(name="Check stock")),
        changed(lambda d: d["flow"].reverse()),
        changed(lambda d: d["flow"][0]["steps"][0].update(assignedTo=[])),
        changed(lambda d: d.update(selectedClosingReasons=[])),
        changed(lambda d: None, time="2026-11-02T10:15:04Z"),
        changed(lambda d: None, detail_type="WorkflowExecutionDeleted"),
    }
    assert flat.content_hash not in others and len(others) == 6
