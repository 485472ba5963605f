"""Workflow execution event -> rows of the five workflow tables.

One EventBridge envelope whose ``detail`` is the full current state of one execution
(``WorkflowExecution`` of the public WorkflowExecution API schema (2023)) becomes one
:class:`FlatExecution`: the event's ordering facts plus the rows of ``WorkflowExecution``,
``WorkflowPhases``, ``WorkflowTasks``, ``WorkflowCancellations`` and ``WorkflowContexts``.

Only what cannot be shaped into rows is rejected here (:class:`FlattenError`, its message is
the quarantine reason): ``detail`` not an object, a field of the wrong JSON type, a flow item
that is neither a section nor a step. Whether the *values* are right (ids present, statuses
in their enums, timestamps parse, positions non-negative) is the Great Expectations suite's
job (plugins/datalake/workflow/suite.py), so a bad value is quarantined under the
name of the expectation it failed.

Mapping decisions (the docs' diagram fixes the columns, not how the API fills them):

* **Sections vs steps.** ``flow[]`` mixes sections (``type`` = ``SECTION``; without a
  ``type``, an item with a ``steps`` list) and top-level steps (``type`` = ``STEP``, or no
  ``type`` and no ``steps``). A section is a phase; every step, in a section or not, a task.
* **Top-level steps** (no phase) have ``phase_id`` and ``phase_name`` NULL.
* **Task ``position``** = 0-based index of the step within its section's ``steps``; for
  top-level steps, the 0-based index among the top-level steps only (sections skipped).
  **Phase ``position``** = 0-based index among the sections of the flow (steps skipped).
* **``assigned_to``** = the ``assignedTo`` ids joined with ``,`` in API order (user ids never
  contain a comma; one that does is rejected), NULL when the list is missing or empty.
  Text rather than JSON so that ``assigned_to LIKE '%12345%'`` and Redshift's
  ``SPLIT_PART(assigned_to, ',', n)`` work (see include/sql/reports/open_tasks_per_assignee.sql).
  ``assigned_to_in_progress`` is the single ``assignedToInProgress`` id.
* **Cancellations**: one row per entry of ``selectedClosingReasons`` (whatever the status;
  the API fills it when an execution is closed). ``configuredClosingReasonSnapshot`` (the
  reasons one *could* pick) is not a cancellation.
* **Contexts**: one row per entry of ``contexts`` (``id`` -> ``context_entity_id``,
  ``schema`` -> ``context_entity_schema``; the title has no column).
* **Timestamps** are parsed to timezone-aware UTC datetimes (a full ISO-8601 date-time; a
  value without an offset, like the API example's ``dueDate`` ``2023-01-15T20:00:00``, is
  taken as UTC; a date alone, a week date or a compact form does not parse and is
  quarantined). The envelope's ``time`` is read in EventBridge's layout only. The
  text as delivered is kept beside each one as ``_raw_<column>`` so that validation can tell
  "missing" (allowed unless required) from "does not parse" (quarantined).
* ``WorkflowExecution.created_at`` and ``started_at`` are both ``creationTime`` (the API: "Creation
  timestamp which will double as started time as well"); ``last_updated_at`` is
  ``lastUpdateTime`` (the ordering key), ``completed_at`` is ``completedTime``.
* ``WorkflowPhases.created_at`` is the execution's ``creationTime`` (a section has no creation
  time of its own; sections are instantiated with their execution).
* Task ``created_at``/``started_at``/``completed_at``/``last_updated_at``/``due_date`` come from
  ``created``/``startedTime``/``completedTime``/``lastUpdated``/``dueDate``.
* Every row carries the execution's ``orgId`` as ``org_id`` (per-organization access).
* A ``WorkflowExecutionDeleted`` event is flattened like any other (the detail is the full
  state) and validated the same way; the load then removes the execution instead of
  writing these rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from datalake.hourly.conflicts import content_hash
from datalake.hourly.records import decode_detail
from datalake.hourly.timestamps import parse_eventbridge_time, parse_iso_datetime

DETAIL_TYPES = ("WorkflowExecutionCreated", "WorkflowExecutionUpdated", "WorkflowExecutionDeleted")
DELETED = "WorkflowExecutionDeleted"
# Enum values exactly as in the public WorkflowExecution API schema (2023).
EXECUTION_STATUSES = ("STARTED", "DONE", "CLOSED")  # WorkflowStatus
PHASE_STATUSES = ("OPEN", "IN_PROGRESS", "COMPLETED")  # SectionStatus
TASK_STATUSES = ("UNASSIGNED", "ASSIGNED", "COMPLETED", "SKIPPED", "IN_PROGRESS")  # StepStatus

# Table name (as the docs name it; the warehouse folds it to lower case) -> columns in the
# order of include/sql/warehouse/ddl.sql and the published diagram of the workflow tables.
EXECUTION_COLUMNS = (
    "org_id",
    "id",
    "name",
    "status",
    "definition_id",
    "created_at",
    "last_updated_at",
    "started_at",
    "completed_at",
)
PHASE_COLUMNS = (
    "id",
    "position",
    "workflow_execution_id",
    "definition_id",
    "name",
    "status",
    "created_at",
    "started_at",
    "completed_at",
    "org_id",
)
TASK_COLUMNS = (
    "org_id",
    "id",
    "phase_name",
    "position",
    "name",
    "status",
    "phase_id",
    "workflow_execution_id",
    "definition_id",
    "entity_ref_id",
    "created_at",
    "started_at",
    "completed_at",
    "last_updated_at",
    "due_date",
    "assigned_to",
    "assigned_to_in_progress",
    "manually_created",
    "enabled",
)
CANCELLATION_COLUMNS = (
    "org_id",
    "workflow_execution_id",
    "closing_reason_id",
    "closing_reason_title",
)
CONTEXT_COLUMNS = ("org_id", "workflow_execution_id", "context_entity_id", "context_entity_schema")

TABLES: dict[str, tuple[str, ...]] = {
    "WorkflowExecution": EXECUTION_COLUMNS,
    "WorkflowPhases": PHASE_COLUMNS,
    "WorkflowTasks": TASK_COLUMNS,
    "WorkflowCancellations": CANCELLATION_COLUMNS,
    "WorkflowContexts": CONTEXT_COLUMNS,
}
# Sort keys of the lake snapshots (deterministic bytes).
TABLE_ORDER: dict[str, tuple[str, ...]] = {
    "WorkflowExecution": ("id",),
    "WorkflowPhases": ("workflow_execution_id", "position", "id"),
    "WorkflowTasks": ("workflow_execution_id", "phase_id", "position", "id"),
    "WorkflowCancellations": ("workflow_execution_id", "closing_reason_id", "closing_reason_title"),
    "WorkflowContexts": ("workflow_execution_id", "context_entity_id", "context_entity_schema"),
}
TIMESTAMP_COLUMNS = frozenset(
    {
        "created_at",
        "last_updated_at",
        "started_at",
        "completed_at",
        "due_date",
        "last_update_time",
        "event_time",
    }
)
INT_COLUMNS = frozenset({"position"})
BOOL_COLUMNS = frozenset({"manually_created", "enabled", "deleted"})

# One row per event in the stage: what the merge orders by (latest lastUpdateTime wins).
EVENT_COLUMNS = (
    "event_id",
    "detail_type",
    "execution_id",
    "org_id",
    "last_update_time",
    "deleted",
    "event_time",
)
# Stage-only columns appended to every staged table: which delivered event a row belongs to.
EVENT_ID_COLUMN = "_event_id"
SEQ_COLUMN = "_seq"
# The event's content hash (content_values), staged with the event and kept with its owner: a
# later copy of the id with another hash is a conflicting duplicate (hourly/conflicts.py).
CONTENT_HASH_COLUMN = "content_hash"


# Widths of the text columns in the warehouse (include/sql/{warehouse,redshift}/ddl.sql and the
# stage tables of include/sql/redshift/stage_workflow.sql). Redshift's VARCHAR(n) counts UTF-8
# BYTES, and one value too long fails the whole COPY of the hour, on every retry: a value
# longer in bytes quarantines its event, reason too_long:<table>.<column> (a PostgreSQL varchar
# counts characters, so the local warehouse alone would never notice).
TEXT_WIDTHS: dict[str, dict[str, int]] = {
    "events": {"event_id": 256, "detail_type": 64, "execution_id": 128, "org_id": 64},
    "WorkflowExecution": {
        "org_id": 64,
        "id": 128,
        "name": 1024,
        "status": 32,
        "definition_id": 128,
    },
    "WorkflowPhases": {
        "id": 128,
        "workflow_execution_id": 128,
        "definition_id": 128,
        "name": 1024,
        "status": 32,
        "org_id": 64,
    },
    "WorkflowTasks": {
        "org_id": 64,
        "id": 128,
        "phase_name": 1024,
        "name": 1024,
        "status": 32,
        "phase_id": 128,
        "workflow_execution_id": 128,
        "definition_id": 128,
        "entity_ref_id": 128,
        "assigned_to": 4096,
        "assigned_to_in_progress": 1024,
    },
    "WorkflowCancellations": {
        "org_id": 64,
        "workflow_execution_id": 128,
        "closing_reason_id": 128,
        "closing_reason_title": 1024,
    },
    "WorkflowContexts": {
        "org_id": 64,
        "workflow_execution_id": 128,
        "context_entity_id": 128,
        "context_entity_schema": 128,
    },
}


class FlattenError(ValueError):
    """The record cannot become rows; the message is the quarantine reason."""


def raw_column(column: str) -> str:
    return f"_raw_{column}"


@dataclass
class FlatExecution:
    event: dict  # EVENT_COLUMNS + "_raw_event_time"
    execution: dict  # EXECUTION_COLUMNS + _raw_<timestamp>
    phases: list[dict] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    cancellations: list[dict] = field(default_factory=list)
    contexts: list[dict] = field(default_factory=list)
    content_hash: str | None = None  # content_hash(content_values(self)), set by flattening

    def rows(self, table: str) -> list[dict]:
        return {
            "WorkflowExecution": [self.execution],
            "WorkflowPhases": self.phases,
            "WorkflowTasks": self.tasks,
            "WorkflowCancellations": self.cancellations,
            "WorkflowContexts": self.contexts,
        }[table]

    @property
    def deleted(self) -> bool:
        return bool(self.event["deleted"])


# --------------------------------------------------------------------------- value helpers


def parse_timestamp(text: str) -> datetime | None:
    """A full ISO-8601 date-time (hourly/timestamps.py) -> timezone-aware UTC; no offset means
    UTC; None when it is not one (a date alone, a week date, a compact form: never guessed)."""
    return parse_iso_datetime(text)


def _text(path: str, value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise FlattenError(f"wrong_type:{path}")
    return str(value)


def _bool(path: str, value) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise FlattenError(f"wrong_type:{path}")
    return value


def _list(path: str, value) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FlattenError(f"wrong_type:{path}")
    return value


def _object(path: str, value) -> dict:
    if not isinstance(value, dict):
        raise FlattenError(f"wrong_type:{path}")
    return value


def _timestamp(row: dict, column: str, path: str, value, parse=parse_timestamp) -> None:
    """Sets row[column] (parsed or None) and row[_raw_column] (the text as delivered)."""
    if value is not None and not isinstance(value, str):
        raise FlattenError(f"wrong_type:{path}")
    row[column] = parse(value) if value is not None else None
    row[raw_column(column)] = value


def _ids(path: str, value) -> str | None:
    ids = [_text(f"{path}[]", v) for v in _list(path, value)]
    ids = [i for i in ids if i not in (None, "")]
    if any("," in i for i in ids):
        raise FlattenError(f"comma_in_id:{path}")
    return ",".join(ids) if ids else None


def _is_section(path: str, item: dict) -> bool:
    kind = item.get("type")
    if kind is None:
        return "steps" in item
    if kind == "SECTION":
        return True
    if kind == "STEP":
        return False
    raise FlattenError(f"unknown_flow_item_type:{path}.type")


# --------------------------------------------------------------------------- rows


def _task(step: dict, path: str, base: dict, position: int, phase: dict | None) -> dict:
    row = {
        "org_id": base["org_id"],
        "id": _text(f"{path}.id", step.get("id")),
        "phase_name": phase["name"] if phase else None,
        "position": position,
        "name": _text(f"{path}.name", step.get("name")),
        "status": _text(f"{path}.status", step.get("status")),
        "phase_id": phase["id"] if phase else None,
        "workflow_execution_id": base["id"],
        "definition_id": _text(f"{path}.definitionId", step.get("definitionId")),
        "entity_ref_id": _text(f"{path}.entityRefId", step.get("entityRefId")),
    }
    for column, key in (
        ("created_at", "created"),
        ("started_at", "startedTime"),
        ("completed_at", "completedTime"),
        ("last_updated_at", "lastUpdated"),
        ("due_date", "dueDate"),
    ):
        _timestamp(row, column, f"{path}.{key}", step.get(key))
    row["assigned_to"] = _ids(f"{path}.assignedTo", step.get("assignedTo"))
    row["assigned_to_in_progress"] = _text(
        f"{path}.assignedToInProgress", step.get("assignedToInProgress")
    )
    row["manually_created"] = _bool(f"{path}.manuallyCreated", step.get("manuallyCreated"))
    row["enabled"] = _bool(f"{path}.enabled", step.get("enabled"))
    return row


def _phase(section: dict, path: str, base: dict, position: int) -> dict:
    row = {
        "id": _text(f"{path}.id", section.get("id")),
        "position": position,
        "workflow_execution_id": base["id"],
        "definition_id": _text(f"{path}.definitionId", section.get("definitionId")),
        "name": _text(f"{path}.name", section.get("name")),
        "status": _text(f"{path}.status", section.get("status")),
    }
    row["created_at"] = base["created_at"]
    row[raw_column("created_at")] = base[raw_column("created_at")]
    _timestamp(row, "started_at", f"{path}.startedTime", section.get("startedTime"))
    _timestamp(row, "completed_at", f"{path}.completedTime", section.get("completedTime"))
    row["org_id"] = base["org_id"]
    return row


def _detail(event: dict) -> dict:
    return _object("detail", decode_detail(event, FlattenError))


def _add_flow_rows(flat: FlatExecution, detail: dict, execution: dict) -> None:
    """detail.flow -> phases (sections) and tasks (steps, inside a section or at the top)."""
    top_level = 0
    sections = 0
    for i, item in enumerate(_list("detail.flow", detail.get("flow"))):
        path = f"detail.flow[{i}]"
        item = _object(path, item)
        if _is_section(path, item):
            phase = _phase(item, path, execution, sections)
            sections += 1
            flat.phases.append(phase)
            for j, step in enumerate(_list(f"{path}.steps", item.get("steps"))):
                step_path = f"{path}.steps[{j}]"
                step = _object(step_path, step)
                if _is_section(step_path, step):
                    raise FlattenError(f"section_in_section:{step_path}")
                flat.tasks.append(_task(step, step_path, execution, j, phase))
        else:
            flat.tasks.append(_task(item, path, execution, top_level, None))
            top_level += 1


def _add_reason_and_context_rows(flat: FlatExecution, detail: dict, execution: dict) -> None:
    """detail.selectedClosingReasons -> cancellations; detail.contexts -> contexts."""
    for i, reason in enumerate(
        _list("detail.selectedClosingReasons", detail.get("selectedClosingReasons"))
    ):
        path = f"detail.selectedClosingReasons[{i}]"
        reason = _object(path, reason)
        flat.cancellations.append(
            {
                "org_id": execution["org_id"],
                "workflow_execution_id": execution["id"],
                "closing_reason_id": _text(f"{path}.id", reason.get("id")),
                "closing_reason_title": _text(f"{path}.title", reason.get("title")),
            }
        )
    for i, context in enumerate(_list("detail.contexts", detail.get("contexts"))):
        path = f"detail.contexts[{i}]"
        context = _object(path, context)
        flat.contexts.append(
            {
                "org_id": execution["org_id"],
                "workflow_execution_id": execution["id"],
                "context_entity_id": _text(f"{path}.id", context.get("id")),
                "context_entity_schema": _text(f"{path}.schema", context.get("schema")),
            }
        )


def flatten_workflow_event(event: dict) -> FlatExecution:
    """One envelope -> the event's facts and the rows of the five tables."""
    detail = _detail(event)
    detail_type = _text("detail-type", event.get("detail-type"))

    execution = {
        "org_id": _text("detail.orgId", detail.get("orgId")),
        "id": _text("detail.id", detail.get("id")),
        "name": _text("detail.name", detail.get("name")),
        "status": _text("detail.status", detail.get("status")),
        "definition_id": _text("detail.definitionId", detail.get("definitionId")),
    }
    _timestamp(execution, "created_at", "detail.creationTime", detail.get("creationTime"))
    _timestamp(execution, "last_updated_at", "detail.lastUpdateTime", detail.get("lastUpdateTime"))
    execution["started_at"] = execution["created_at"]
    execution[raw_column("started_at")] = execution[raw_column("created_at")]
    _timestamp(execution, "completed_at", "detail.completedTime", detail.get("completedTime"))

    meta = {
        "event_id": _text("id", event.get("id")),
        "detail_type": detail_type,
        "execution_id": execution["id"],
        "org_id": execution["org_id"],
        "last_update_time": execution["last_updated_at"],
        raw_column("last_update_time"): execution[raw_column("last_updated_at")],
        "deleted": detail_type == DELETED,
    }
    # The envelope's time is EventBridge's, in its one layout.
    _timestamp(meta, "event_time", "time", event.get("time"), parse_eventbridge_time)

    flat = FlatExecution(event=meta, execution=execution)
    _add_flow_rows(flat, detail, execution)
    _add_reason_and_context_rows(flat, detail, execution)
    _check_widths(flat)
    flat.content_hash = content_hash(content_values(flat))
    return flat


def content_values(flat: FlatExecution):
    """What the warehouse stores of the event, in a fixed order: its facts (EVENT_COLUMNS),
    then per table its name, its number of rows and their values (the table's columns), so
    that no two events share a sequence. Rows as flattened: the delivered JSON's key order
    and spacing do not count, the timestamps as parsed."""
    event = flat.event
    yield from (event[c] for c in EVENT_COLUMNS)
    for table, columns in TABLES.items():
        rows = flat.rows(table)
        yield table
        yield len(rows)
        for row in rows:
            yield from (row[c] for c in columns)


def _too_long(value: str | None, width: int) -> bool:
    # A character is 1-4 UTF-8 bytes: only a long value needs encoding.
    return (
        value is not None
        and len(value) * 4 > width
        and len(value.encode("utf-8", "surrogatepass")) > width
    )


def _check_widths(flat: FlatExecution) -> None:
    """Every text value fits its warehouse column in bytes, or the event is refused."""
    tables = [("events", [flat.event])] + [(table, flat.rows(table)) for table in TABLES]
    for table, rows in tables:
        for column, width in TEXT_WIDTHS[table].items():
            if any(_too_long(row.get(column), width) for row in rows):
                raise FlattenError(f"too_long:{table}.{column}")


# --------------------------------------------------------------------------- Arrow schemas


def _arrow_type(column: str):
    import pyarrow as pa

    if column in TIMESTAMP_COLUMNS:
        return pa.timestamp("us", tz="UTC")
    if column in INT_COLUMNS:
        return pa.int32()
    if column in BOOL_COLUMNS:
        return pa.bool_()
    return pa.string()


def arrow_schema(columns: tuple[str, ...], staged: bool = False):
    """Parquet schema of a table; staged adds _event_id and _seq (COPY maps by position)."""
    import pyarrow as pa

    fields = [pa.field(c, _arrow_type(c)) for c in columns]
    if staged:
        fields += [pa.field(EVENT_ID_COLUMN, pa.string()), pa.field(SEQ_COLUMN, pa.int64())]
    return pa.schema(fields)


def rows_to_arrow(rows: list[dict], columns: tuple[str, ...], staged: bool = False):
    import pyarrow as pa

    schema = arrow_schema(columns, staged)
    return pa.table(
        {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema}, schema=schema
    )
