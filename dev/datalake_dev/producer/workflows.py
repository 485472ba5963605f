"""The workflow side of the world: executions of the journeys' workflows, their phases and
steps progressing, closing and being deleted."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from datalake_dev.producer.events import (
    STEP_DONE,
    WORKFLOW_STREAM,
    Produced,
    envelope,
    floor_second,
    iso_ms,
    new_uuid,
    short_id,
)
from datalake_dev.producer.scenario import WORKFLOWS

if TYPE_CHECKING:
    from datalake_dev.producer.world import World


@dataclass
class Execution:
    org: str
    detail: dict
    last: datetime
    workflow: str


class WorkflowActivity:
    """Workflow executions, started from won journeys' contexts and worked on step by step."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.rng = world.rng
        self.executions: dict[str, Execution] = {}
        self.definitions = {
            org: {wf: self._definition(wf) for wf in WORKFLOWS} for org in world.cfg.orgs
        }

    def _definition(self, workflow: str) -> dict:
        phases, tasks, reasons = WORKFLOWS[workflow]
        return {
            "id": short_id(self.rng, 9),
            "phases": [
                (short_id(self.rng, 9), name, [(short_id(self.rng, 9), s) for s in steps])
                for name, steps in phases
            ],
            "tasks": [(short_id(self.rng, 9), s) for s in tasks],
            "closing_reasons": [{"id": short_id(self.rng, 10), "title": r} for r in reasons],
        }

    def _new_step(
        self,
        t: datetime,
        definition_id: str,
        name: str,
        execution_id: str,
        section_id: str | None,
        enabled: bool,
        manual: bool = False,
    ) -> dict:
        step = {
            "id": short_id(self.rng),
            "definitionId": definition_id,
            "entityRefId": new_uuid(self.rng),
            "name": name,
            "type": "STEP",
            "executionType": "MANUAL",
            "status": "UNASSIGNED",
        }
        if section_id:
            step["sectionId"] = section_id
        step |= {"executionId": execution_id, "created": iso_ms(t), "lastUpdated": iso_ms(t)}
        if self.rng.random() < 0.6:
            step["dueDate"] = iso_ms(t + timedelta(days=self.rng.randint(2, 21)))
        step |= {"assignedTo": [], "manuallyCreated": manual, "enabled": enabled}
        return step

    def create_execution(self, org: str, workflow: str, contexts: list[dict], t: datetime) -> None:
        definition = self.definitions[org][workflow]
        execution_id = short_id(self.rng)
        owner = self.world.owner(org)
        flow: list[dict] = []
        for i, (section_def, name, steps) in enumerate(definition["phases"]):
            section_id = short_id(self.rng)
            flow.append(
                {
                    "id": section_id,
                    "definitionId": section_def,
                    "name": name,
                    "type": "SECTION",
                    "status": "OPEN",
                    "assignedTo": [],
                    "steps": [
                        self._new_step(t, d, n, execution_id, section_id, enabled=i == 0)
                        for d, n in steps
                    ],
                }
            )
        flow += [
            self._new_step(t, d, n, execution_id, None, enabled=True)
            for d, n in definition["tasks"]
        ]
        first = flow[0]["steps"][0]
        first["status"], first["assignedTo"] = "ASSIGNED", [owner]
        detail = {
            "id": execution_id,
            "definitionId": definition["id"],
            "orgId": org,
            "name": workflow,
            "status": "STARTED",
            "trigger": self.rng.choice(("AUTOMATIC", "AUTOMATIC", "MANUAL")),
            "creationTime": iso_ms(t),
            "lastUpdateTime": iso_ms(t),
            "dueDate": iso_ms(t + timedelta(days=self.rng.choice((14, 30)))),
            "assignedTo": [owner],
            "contexts": contexts,
            "configuredClosingReasonSnapshot": definition["closing_reasons"],
            "enableECPWorkflow": False,
            "version": 1,
            "flow": flow,
        }
        execution = Execution(org, detail, t, workflow)
        self.executions[execution_id] = execution
        self._emit_workflow(t, execution, "WorkflowExecutionCreated")

    def _emit_workflow(self, t: datetime, execution: Execution, detail_type: str) -> None:
        event = envelope(
            self.rng,
            detail_type,
            "workflow-execution-api",
            t,
            copy.deepcopy(execution.detail),
            with_ms=self.rng.random() < 0.2,
        )
        self.world.emit(Produced(WORKFLOW_STREAM, t, event))
        execution.last = t

    def act(self, t: datetime) -> None:
        # Whole seconds apart, so ordering by the (second-precision) event time is unambiguous too.
        alive = [e for e in self.executions.values() if floor_second(e.last) < floor_second(t)]
        if alive and self.rng.random() < 0.03:
            self._delete_execution(self.rng.choice(alive), t)
            return
        started = [e for e in alive if e.detail["status"] == "STARTED"]
        if not started:
            return
        # Case workers mostly pick up the oldest open cases, so some executions finish.
        execution = self.rng.choice(started[:3] if self.rng.random() < 0.6 else started)
        roll = self.rng.random()
        if roll < 0.05:
            self._close(execution, t)
        elif roll < 0.09:
            self._remove_step(execution)
        elif roll < 0.13:
            self._add_manual_step(execution, t)
        else:
            for _ in range(self.rng.randint(1, 3)):
                self._progress_step(execution, t)
        self._refresh(execution, t)
        self._touch(execution, t)
        self._emit_workflow(t, execution, "WorkflowExecutionUpdated")

    def _touch(self, execution: Execution, t: datetime) -> None:
        execution.detail["lastUpdateTime"] = iso_ms(t)  # strictly increasing: see act
        execution.detail["version"] += 1

    def _delete_execution(self, execution: Execution, t: datetime) -> None:
        self._touch(execution, t)
        self._emit_workflow(t, execution, "WorkflowExecutionDeleted")
        del self.executions[execution.detail["id"]]

    def _close(self, execution: Execution, t: datetime) -> None:
        d = execution.detail
        reasons = d["configuredClosingReasonSnapshot"]
        d["status"] = "CLOSED"
        d["selectedClosingReasons"] = copy.deepcopy(
            self.rng.sample(reasons, 2 if self.rng.random() < 0.3 else 1)
        )
        d["closingReasonDescription"] = "Vorgang durch Sachbearbeitung geschlossen"
        d["completedTime"] = iso_ms(t)
        d["lastModifiedBy"] = self.world.owner(execution.org)

    @staticmethod
    def _containers(detail: dict) -> list[list[dict]]:
        """Step lists: one per section, plus the flow itself for tasks without a phase."""
        return [item["steps"] for item in detail["flow"] if item.get("type") == "SECTION"] + [
            detail["flow"]
        ]

    def _open_steps(self, detail: dict) -> list[dict]:
        return [
            s
            for steps in self._containers(detail)
            for s in steps
            if s.get("type") == "STEP" and s["enabled"] and s["status"] not in STEP_DONE
        ]

    def _remove_step(self, execution: Execution) -> None:
        removable = [
            (steps, s)
            for steps in self._containers(execution.detail)
            for s in steps
            if s.get("type") == "STEP"
            and s["status"] in ("UNASSIGNED", "ASSIGNED")
            and (steps is execution.detail["flow"] or len(steps) > 1)
        ]
        if removable:
            steps, step = self.rng.choice(removable)
            steps.remove(step)

    def _add_manual_step(self, execution: Execution, t: datetime) -> None:
        d = execution.detail
        name = self.rng.choice(
            ("Rückfrage beim Kunden", "Fotos anfordern", "Netzbetreiber informieren")
        )
        d["flow"].append(
            self._new_step(t, short_id(self.rng, 9), name, d["id"], None, enabled=True, manual=True)
        )

    def _progress_step(self, execution: Execution, t: datetime) -> None:
        candidates = self._open_steps(execution.detail)
        if not candidates:
            return
        step = self.rng.choice(candidates[:3])  # mostly in flow order
        ts = iso_ms(t)
        if step["status"] == "UNASSIGNED":
            if self.rng.random() < 0.05:
                step["status"] = "SKIPPED"
            else:
                step["status"], step["assignedTo"] = "ASSIGNED", [self.world.owner(execution.org)]
        elif step["status"] == "ASSIGNED":
            step["status"], step["assignedToInProgress"], step["startedTime"] = (
                "IN_PROGRESS",
                step["assignedTo"][0],
                ts,
            )
        else:
            step["status"], step["completedTime"] = "COMPLETED", ts
        step["lastUpdated"] = ts

    def _refresh(self, execution: Execution, t: datetime) -> None:
        """Derive section statuses, phase gating and DONE from the step statuses."""
        d, ts = execution.detail, iso_ms(t)
        previous_done = True
        for section in (item for item in d["flow"] if item.get("type") == "SECTION"):
            steps = section["steps"]
            for step in steps:
                if previous_done and not step["enabled"]:
                    step["enabled"], step["lastUpdated"] = True, ts
            started = any(s["status"] in ("IN_PROGRESS", *STEP_DONE) for s in steps)
            done = bool(steps) and all(s["status"] in STEP_DONE for s in steps)
            if started and "startedTime" not in section:
                section["startedTime"] = ts
            if done:
                section["status"] = "COMPLETED"
                section.setdefault("completedTime", ts)
            else:
                section["status"] = "IN_PROGRESS" if started else "OPEN"
            previous_done = previous_done and done
        if d["status"] == "STARTED" and previous_done and not self._open_steps(d):
            d["status"], d["completedTime"] = "DONE", ts
