"""The GX suites on flattened workflow rows: every defect is named and points at its event."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from datalake.workflow.flatten import (
    DETAIL_TYPES,
    EXECUTION_STATUSES,
    PHASE_STATUSES,
    TASK_STATUSES,
    flatten_workflow_event,
)
from datalake.workflow.suite import build_workflow_suites, validate_workflow_rows

NOW = datetime(2026, 11, 2, 11, tzinfo=timezone.utc)


def event(
    n: int, execution: str = "exec-1", detail_type: str = "WorkflowExecutionUpdated", **changes
) -> dict:
    detail = {
        "id": execution,
        "orgId": "739224",
        "definitionId": "d1",
        "name": "Wallbox",
        "status": "STARTED",
        "creationTime": "2026-11-02T09:00:00.000Z",
        "lastUpdateTime": f"2026-11-02T10:{n:02d}:00.000Z",
        "contexts": [{"id": "ent-1", "title": "Opp", "schema": "opportunity"}],
        "flow": [
            {
                "id": "p1",
                "name": "Lead",
                "type": "SECTION",
                "status": "IN_PROGRESS",
                "startedTime": "2026-11-02T09:30:00.000Z",
                "steps": [
                    {
                        "id": "t1",
                        "name": "Call",
                        "type": "STEP",
                        "status": "ASSIGNED",
                        "assignedTo": ["7"],
                        "created": "2026-11-02T09:00:00.000Z",
                        "dueDate": "2026-11-10T00:00:00.000Z",
                    },
                    {"id": "t2", "name": "Check", "type": "STEP", "status": "UNASSIGNED"},
                ],
            },
            {"id": "t3", "name": "Invoice", "type": "STEP", "status": "UNASSIGNED"},
        ],
    }
    detail.update(changes)
    return {
        "version": "0",
        "id": f"evt-{execution}-{n}",
        "detail-type": detail_type,
        "source": "wf",
        "account": "1",
        "time": f"2026-11-02T10:{n:02d}:00Z",
        "region": "eu-central-1",
        "detail": detail,
    }


def validate(events, mutate=None):
    flats = [flatten_workflow_event(e) for e in events]
    if mutate:
        mutate(flats)
    return validate_workflow_rows(flats, now=NOW)


def test_enums_are_exactly_the_openapi_ones():
    assert EXECUTION_STATUSES == ("STARTED", "DONE", "CLOSED")
    assert PHASE_STATUSES == ("OPEN", "IN_PROGRESS", "COMPLETED")
    assert TASK_STATUSES == ("UNASSIGNED", "ASSIGNED", "COMPLETED", "SKIPPED", "IN_PROGRESS")
    assert set(DETAIL_TYPES) == {
        "WorkflowExecutionCreated",
        "WorkflowExecutionUpdated",
        "WorkflowExecutionDeleted",
    }


def test_good_events_pass_including_two_states_of_one_execution_in_a_batch():
    closed = event(
        3,
        "exec-2",
        status="CLOSED",
        completedTime="2026-11-02T10:03:00.000Z",
        selectedClosingReasons=[{"id": "a", "title": "A"}, {"id": "b", "title": "B"}],
    )
    outcome = validate([event(1), event(2), closed])
    assert outcome.failed_events == {}
    assert outcome.success
    names = {r["name"] for r in outcome.expectation_results}
    assert "WorkflowTasks.expect_column_values_to_be_in_set(status)" in names
    assert (
        "WorkflowCancellations.expect_column_values_to_not_be_null(closing_reason_title)" in names
    )


def test_suites_build_and_names_are_unique_per_table():
    suites = build_workflow_suites({"a", "b"})
    assert set(suites) == {
        "WorkflowExecution",
        "WorkflowPhases",
        "WorkflowTasks",
        "WorkflowCancellations",
        "WorkflowContexts",
    }
    with pytest.raises(ValueError):
        build_workflow_suites(set(), max_future_skew_minutes=-1)


def _step(flats, i=0):
    return flats[i].tasks


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (dict(status="RUNNING"), "WorkflowExecution.expect_column_values_to_be_in_set(status)"),
        (dict(status=None), "WorkflowExecution.expect_column_values_to_not_be_null(status)"),
        (dict(id=None), "WorkflowExecution.expect_column_values_to_not_be_null(id)"),
        (dict(orgId=None), "WorkflowExecution.expect_column_values_to_not_be_null(org_id)"),
        (
            dict(lastUpdateTime=None),
            "WorkflowExecution.expect_column_values_to_not_be_null(_raw_last_updated_at)",
        ),
        (
            dict(lastUpdateTime="2026-13-45T25:61:00Z"),
            "WorkflowExecution.expect_column_values_to_be_in_set(_last_updated_at_parses)",
        ),
        (
            dict(creationTime="28/11/2026 10:15:03"),
            "WorkflowExecution.expect_column_values_to_be_in_set(_created_at_parses)",
        ),
        (
            dict(lastUpdateTime="2026-11-02T12:00:00.000Z"),  # an hour after `now`
            "WorkflowExecution.expect_column_values_to_be_between(_last_update_seconds_after_now)",
        ),
        (
            dict(
                flow=[
                    {
                        "id": "p1",
                        "name": "Lead",
                        "type": "SECTION",
                        "status": "STARTED",
                        "steps": [],
                    }
                ]
            ),
            "WorkflowPhases.expect_column_values_to_be_in_set(status)",
        ),
        (
            dict(flow=[{"id": "t1", "name": "Call", "type": "STEP", "status": "DONE"}]),
            "WorkflowTasks.expect_column_values_to_be_in_set(status)",
        ),
        (
            dict(flow=[{"id": None, "name": "Call", "type": "STEP", "status": "ASSIGNED"}]),
            "WorkflowTasks.expect_column_values_to_not_be_null(id)",
        ),
        (
            dict(flow=[{"id": "t1", "type": "STEP", "dueDate": "next week"}]),
            "WorkflowTasks.expect_column_values_to_be_in_set(_due_date_parses)",
        ),
        (
            dict(flow=[{"id": "t1", "type": "STEP"}, {"id": "t1", "type": "STEP"}]),
            "WorkflowTasks.expect_compound_columns_to_be_unique(_event,id)",
        ),
        (
            dict(
                flow=[
                    {"id": "p", "type": "SECTION", "steps": []},
                    {"id": "p", "type": "SECTION", "steps": []},
                ]
            ),
            "WorkflowPhases.expect_compound_columns_to_be_unique(_event,id)",
        ),
        (
            dict(selectedClosingReasons=[{"id": "a"}]),
            "WorkflowCancellations.expect_column_values_to_not_be_null(closing_reason_title)",
        ),
        (
            dict(contexts=[{"id": "e", "title": "x"}]),
            "WorkflowContexts.expect_column_values_to_not_be_null(context_entity_schema)",
        ),
    ],
)
def test_a_bad_value_fails_its_event_by_name_and_spares_the_neighbours(bad, expected):
    outcome = validate([event(1, "good-1"), event(2, "bad", **bad), event(3, "good-2")])
    assert list(outcome.failed_events) == [1]
    assert expected in outcome.failed_events[1], outcome.failed_events
    assert not outcome.success


def test_envelope_problems():
    no_time = event(1, "a")
    del no_time["time"]
    bad_time = event(2, "b") | {"time": "not-a-timestamp"}
    unknown = event(3, "c", detail_type="WorkflowExecutionArchived")
    no_id = event(4, "d") | {"id": None}
    outcome = validate([no_time, bad_time, unknown, no_id, event(5, "e")])
    assert outcome.failed_events == {
        0: ["WorkflowExecution.expect_column_values_to_not_be_null(_raw_event_time)"],
        1: ["WorkflowExecution.expect_column_values_to_be_in_set(_event_time_parses)"],
        2: ["WorkflowExecution.expect_column_values_to_be_in_set(detail_type)"],
        3: ["WorkflowExecution.expect_column_values_to_not_be_null(event_id)"],
    }


def test_a_delete_needs_no_status_but_an_update_does():
    outcome = validate(
        [event(1, "a", "WorkflowExecutionDeleted", status=None), event(2, "b", status=None)]
    )
    assert list(outcome.failed_events) == [1]


def test_negative_position_and_child_without_its_execution():
    def mutate(flats):
        flats[0].tasks[1]["position"] = -1
        flats[1].phases[0]["position"] = -2
        flats[2].contexts[0]["workflow_execution_id"] = "somewhere-else"
        flats[2].tasks[0]["workflow_execution_id"] = "somewhere-else"

    outcome = validate([event(1, "a"), event(2, "b"), event(3, "c"), event(4, "d")], mutate)
    assert outcome.failed_events == {
        0: ["WorkflowTasks.expect_column_values_to_be_between(position)"],
        1: ["WorkflowPhases.expect_column_values_to_be_between(position)"],
        2: [
            "WorkflowContexts.expect_column_values_to_be_in_set(workflow_execution_id)",
            "WorkflowTasks.expect_column_values_to_be_in_set(workflow_execution_id)",
        ],
    }


def test_empty_batch():
    outcome = validate_workflow_rows([], now=NOW)
    assert outcome.failed_events == {} and outcome.expectation_results == []
