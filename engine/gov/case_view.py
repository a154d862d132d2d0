"""What the instance page shows: each diagram element's state, the trail, and the clocks with their pauses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import runtime
from engine.clocks.models import Clock, ClockExtension, ClockPause
from engine.core import audit
from engine.core.models import AuditEvent
from engine.flow import instances
from engine.flow.models import HumanTask, Instance
from engine.gov.models import Application, DocumentNumber, Letter
from engine.intake import xmlsafe
from engine.org.models import Department

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
LEVEL_STATE = {"yellow": "warned", "red": "overdue"}


@dataclass
class ClockView:
    clock: Clock
    pauses: list[ClockPause]
    extensions: list[ClockExtension]
    department: str | None = None  # the responsible department's name, so parallel steps tell apart
    step: str | None = None  # the clocked step's name (承办), not its element id


def element_states(session: Session, inst: Instance, now: datetime) -> dict[str, str]:
    """BPMN element id -> done / active / warned / overdue / cancelled, for colouring the diagram."""
    states: dict[str, str] = {}
    if inst.status in (instances.RUNNING, instances.SUSPENDED, instances.COMPLETED):
        loaded = instances.load(session, inst, now)
        runtime.walk_completed(loaded.wf, lambda t: _mark(states, t))
    else:  # ended otherwise: the tree was cancelled; what was done is in the projection
        for element in session.scalars(select(HumanTask.element_id).where(
                HumanTask.instance_id == inst.id, HumanTask.status == "completed")):
            states[element] = "done"
    for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id,
                                                       HumanTask.status == "open")):
        states[row.element_id] = "active"
    for clock in session.scalars(select(Clock).where(Clock.instance_id == inst.id, Clock.active.is_(True),
                                                     Clock.task_id.is_not(None))):
        level = LEVEL_STATE.get(clock.warning_level)
        if level and clock.element_id and states.get(clock.element_id) == "active":
            states[clock.element_id] = level
    states.update(_flows(session, inst, states))
    return states


def _mark(states: dict[str, str], task: Any) -> None:
    element = getattr(task.task_spec, "bpmn_id", None)
    if element:
        states[str(element)] = "done"


def _flows(session: Session, inst: Instance, states: dict[str, str]) -> dict[str, str]:
    """A sequence flow counts as taken when its source is done and its target was reached."""
    content = inst.process_version.file.content
    tree = xmlsafe.parse_bpmn(content, inst.process_version.file.filename)
    taken: dict[str, str] = {}
    for flow in tree.getroot().iter(f"{{{BPMN_NS}}}sequenceFlow"):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if states.get(source or "") == "done" and target in states and flow.get("id"):
            taken[str(flow.get("id"))] = "done"
    return taken


def clock_views(session: Session, instance_id: int) -> list[ClockView]:
    """Every clock of the case (case clock first), with its pauses and extensions."""
    found = list(session.scalars(select(Clock).where(Clock.instance_id == instance_id)
                                 .order_by(Clock.task_id.is_not(None), Clock.id)))
    ids = [c.id for c in found] or [-1]
    pauses = session.scalars(select(ClockPause).where(ClockPause.clock_id.in_(ids)).order_by(ClockPause.id))
    extensions = session.scalars(select(ClockExtension).where(ClockExtension.clock_id.in_(ids))
                                 .order_by(ClockExtension.id))
    codes = sorted({c.department_code for c in found if c.department_code})
    names = {code: name for code, name in session.execute(
        select(Department.code, Department.name).where(Department.code.in_(codes)))} if codes else {}
    task_ids = [c.task_id for c in found if c.task_id]
    steps = {task_id: name for task_id, name in session.execute(
        select(HumanTask.id, HumanTask.name).where(HumanTask.id.in_(task_ids)))} if task_ids else {}
    by_clock: dict[int, ClockView] = {
        c.id: ClockView(c, [], [], names.get(c.department_code or "", c.department_code),
                        steps.get(c.task_id or "") or c.element_id) for c in found}
    for pause in pauses:
        by_clock[pause.clock_id].pauses.append(pause)
    for extension in extensions:
        by_clock[extension.clock_id].extensions.append(extension)
    return list(by_clock.values())


def trail(session: Session, instance_id: int) -> list[AuditEvent]:
    return audit.trail(session, instance_id)


def references(session: Session, instance_id: int) -> list[tuple[str, str]]:
    """The numbers people quote for a case (文号, 信件编号, 申请编号) and its public status, as (kind, value)."""
    found: list[tuple[str, str]] = []
    for number in session.scalars(select(DocumentNumber.number).where(DocumentNumber.instance_id == instance_id)):
        found.append(("doc_number", number))
    for letter in session.scalars(select(Letter).where(Letter.instance_id == instance_id)):
        found += [("letter_code", letter.code), ("letter_folder", letter.folder)]
        if letter.published:
            found.append(("published", letter.code))
    for application in session.scalars(select(Application).where(Application.instance_id == instance_id)):
        found += [("application_number", application.number), ("application_status", application.status)]
    return found
