"""An independent computation of what the five workflow tables (and the reports over them)
must hold, from the raw landing objects. Plain Python; shares no code with the pipeline."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from entity_truth import _records  # the test-side record splitter (not pipeline code)

TYPES = {"WorkflowExecutionCreated", "WorkflowExecutionUpdated", "WorkflowExecutionDeleted"}
EXEC_STATUSES = {"STARTED", "DONE", "CLOSED"}
PHASE_STATUSES = {"OPEN", "IN_PROGRESS", "COMPLETED"}
TASK_STATUSES = {"UNASSIGNED", "ASSIGNED", "COMPLETED", "SKIPPED", "IN_PROGRESS"}
BAD = object()


def ts(value):
    """None -> None; ISO text -> aware UTC datetime; anything else -> BAD."""
    if value is None:
        return None
    if not isinstance(value, str):
        return BAD
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return BAD
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _is_section(item):
    return item.get("type") == "SECTION" or (item.get("type") is None and "steps" in item)


def good_event(event, arrival_end):
    """(event, detail) when the pipeline must accept it, else None."""
    if not isinstance(event, dict):
        return None
    detail = event.get("detail")
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            return None
    if (
        not isinstance(detail, dict)
        or event.get("detail-type") not in TYPES
        or not isinstance(event.get("id"), str)
    ):
        return None
    if ts(event.get("time")) in (None, BAD):
        return None
    if not isinstance(detail.get("id"), str) or not isinstance(detail.get("orgId"), str):
        return None
    lut = ts(detail.get("lastUpdateTime"))
    if lut in (None, BAD) or lut > arrival_end + timedelta(minutes=15):
        return None
    deleted = event["detail-type"] == "WorkflowExecutionDeleted"
    if detail.get("status") not in EXEC_STATUSES and not (deleted and detail.get("status") is None):
        return None
    if any(ts(detail.get(k)) is BAD for k in ("creationTime", "completedTime")):
        return None
    flow = detail.get("flow", [])
    if not isinstance(flow, list):
        return None
    for item in flow:
        steps = item.get("steps", []) if _is_section(item) else [item]
        if _is_section(item) and (
            item.get("status") not in PHASE_STATUSES | {None} or not item.get("id")
        ):
            return None
        for step in steps:
            if step.get("status") not in TASK_STATUSES | {None} or not step.get("id"):
                return None
            if any(
                ts(step.get(k)) is BAD
                for k in ("created", "lastUpdated", "startedTime", "completedTime", "dueDate")
            ):
                return None
    for reason in detail.get("selectedClosingReasons", []) or []:
        if not reason.get("id") or not reason.get("title"):
            return None
    # Names and titles are varchar(1024) in the warehouse, which Redshift counts in bytes.
    names = [detail.get("name")] + [item.get("name") for item in flow]
    names += [
        step.get("name") for item in flow if _is_section(item) for step in item.get("steps", [])
    ]
    names += [reason.get("title") for reason in detail.get("selectedClosingReasons", []) or []]
    if any(isinstance(n, str) and len(n.encode("utf-8")) > 1024 for n in names):
        return None
    return event, detail


def accepted_events(objects):
    """event id -> (event, detail) of every valid event, first delivery wins."""
    out = {}
    for obj in sorted(objects, key=lambda o: (o.arrival_hour, o.key)):
        if obj.stream != "workflow_executions":
            continue
        for value in _records(obj.body):
            good = good_event(value, obj.arrival_hour + timedelta(hours=1))
            if good and good[0]["id"] not in out:
                out[good[0]["id"]] = good
    return out


def final_states(accepted) -> dict[str, dict]:
    """execution id -> detail of its latest state, deleted executions left out."""
    best = {}
    for event, detail in accepted.values():
        deleted = event["detail-type"] == "WorkflowExecutionDeleted"
        key = (ts(detail["lastUpdateTime"]), deleted, event["id"])
        if detail["id"] not in best or key > best[detail["id"]][0]:
            best[detail["id"]] = (key, deleted, detail)
    return {x: d for x, (_, deleted, d) in best.items() if not deleted}


def expected_tables(states) -> dict[str, set[tuple]]:
    tables = defaultdict(set)
    for x, d in states.items():
        org, created = d["orgId"], ts(d.get("creationTime"))
        tables["WorkflowExecution"].add(
            (
                org,
                x,
                d.get("name"),
                d.get("status"),
                d.get("definitionId"),
                created,
                ts(d["lastUpdateTime"]),
                created,
                ts(d.get("completedTime")),
            )
        )
        phase_pos = top_pos = 0
        for item in d.get("flow", []):
            if _is_section(item):
                tables["WorkflowPhases"].add(
                    (
                        item["id"],
                        phase_pos,
                        x,
                        item.get("definitionId"),
                        item.get("name"),
                        item.get("status"),
                        created,
                        ts(item.get("startedTime")),
                        ts(item.get("completedTime")),
                        org,
                    )
                )
                phase_pos += 1
                steps = [(s, i, item) for i, s in enumerate(item.get("steps", []))]
            else:
                steps = [(item, top_pos, None)]
                top_pos += 1
            for s, pos, phase in steps:
                tables["WorkflowTasks"].add(
                    (
                        org,
                        s["id"],
                        phase and phase.get("name"),
                        pos,
                        s.get("name"),
                        s.get("status"),
                        phase and phase["id"],
                        x,
                        s.get("definitionId"),
                        s.get("entityRefId"),
                        ts(s.get("created")),
                        ts(s.get("startedTime")),
                        ts(s.get("completedTime")),
                        ts(s.get("lastUpdated")),
                        ts(s.get("dueDate")),
                        ",".join(s.get("assignedTo") or []) or None,
                        s.get("assignedToInProgress"),
                        s.get("manuallyCreated"),
                        s.get("enabled"),
                    )
                )
        for r in d.get("selectedClosingReasons", []) or []:
            tables["WorkflowCancellations"].add((org, x, r["id"], r["title"]))
        for c in d.get("contexts", []) or []:
            tables["WorkflowContexts"].add((org, x, c["id"], c.get("schema")))
    return tables


# ----------------------------------------------------------------------------- reports


def executions_per_status_month(states):
    counts = defaultdict(int)
    for d in states.values():
        counts[(d["orgId"], ts(d["creationTime"]).strftime("%Y-%m"), d["status"])] += 1
    return dict(counts)


def closing_reason_counts(states):
    execs = defaultdict(set)
    for x, d in states.items():
        for r in d.get("selectedClosingReasons", []) or []:
            execs[(d["orgId"], r["title"])].add(x)
    return {k: len(v) for k, v in execs.items()}


def _percentile_cont(values, fraction):
    values = sorted(values)
    pos = fraction * (len(values) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def phase_durations(states):
    hours = defaultdict(list)
    for d in states.values():
        for item in d.get("flow", []):
            if (
                _is_section(item)
                and item.get("status") == "COMPLETED"
                and item.get("startedTime")
                and item.get("completedTime")
            ):
                seconds = math.floor(ts(item["completedTime"]).timestamp()) - math.floor(
                    ts(item["startedTime"]).timestamp()
                )
                hours[(d["orgId"], item.get("name"))].append(seconds / 3600)
    return {k: (len(v), sum(v) / len(v), _percentile_cont(v, 0.9)) for k, v in hours.items()}


def _tasks(d):
    for item in d.get("flow", []):
        yield from (item.get("steps", []) if _is_section(item) else [item])


def open_tasks_per_assignee(states):
    counts = defaultdict(int)
    for d in states.values():
        if d["status"] != "STARTED":
            continue
        for s in _tasks(d):
            if s.get("status") in ("UNASSIGNED", "ASSIGNED", "IN_PROGRESS"):
                for who in s.get("assignedTo") or [None]:
                    counts[(d["orgId"], who)] += 1
    return dict(counts)


def overdue_tasks(states, today):
    midnight = datetime(today.year, today.month, today.day, tzinfo=timezone.utc)
    out = {}
    for x, d in states.items():
        if d["status"] != "STARTED":
            continue
        for s in _tasks(d):
            due = ts(s.get("dueDate"))
            if (
                due is not None
                and due < midnight
                and s.get("status") not in ("COMPLETED", "SKIPPED")
            ):
                days = (midnight.date() - due.date()).days
                out[(x, s["id"])] = days
    return out
