"""Clocks that BPMN elements declare, started and finished as the task projection changes.

Conventions (camunda:properties or spiffworkflow:properties):
- user task property `clock` = policy code: a step clock runs while the task is open; a completed task
  finishes it on time or late, a cancelled one (send back, boundary event) cancels it;
- user task property `clock_due` (督办 only): an ISO date, or the name of a case variable holding one;
- start event property `case_clock` = policy code: a case clock starts with the instance and finishes
  when the instance ends;
- user task properties acting on the case clocks: `clock_start` = policy (starts one when the task
  completes), `clock_finish` = policies (finishes running ones when the task completes), `clock_pause`
  = reason (pauses the running ones while the task is open, e.g. waiting for 补正 materials).
A process declaring none of these costs nothing: the declarations are read once per spec object.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.bpmn import runtime
from engine.bpmn.properties import element_properties
from engine.clocks import lifecycle
from engine.clocks.models import Clock
from engine.clocks.policies import DUBAN
from engine.core import audit
from engine.core.errors import EngineError
from engine.flow import task_deadlines
from engine.flow.models import HumanTask, Instance
from engine.org.directory import find_user
from engine.org.models import Department, Group

CLOCK, CASE_CLOCK, CLOCK_DUE = "clock", "case_clock", "clock_due"
CLOCK_START, CLOCK_FINISH, CLOCK_PAUSE = "clock_start", "clock_finish", "clock_pause"
_LIVE = ("running", "suspended")


@dataclass(frozen=True)
class Declared:
    case_policy: str | None
    case_element: str | None
    step_elements: frozenset[str]


class TaskRow(Protocol):
    """What the hooks read of a task's projection row: an ORM row or the projection's light copy."""

    @property
    def id(self) -> str: ...
    @property
    def element_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def completed_by(self) -> str | None: ...
    @property
    def properties(self) -> dict[str, Any]: ...


_CACHE: weakref.WeakKeyDictionary[Any, Declared] = weakref.WeakKeyDictionary()


def declared(wf: runtime.Workflow) -> Declared:
    """What the instance's specs declare, cached on the (shared, immutable) top-level spec."""
    spec = wf.spec
    found = _CACHE.get(spec)
    if found is None:
        found = _scan(spec, list(getattr(wf, "subprocess_specs", {}).values()))
        _CACHE[spec] = found
    return found


def _scan(spec: Any, subs: list[Any]) -> Declared:
    case_policy = case_element = None
    steps: set[str] = set()
    for index, each in enumerate([spec, *subs]):
        for task_spec in each.task_specs.values():
            props = element_properties(getattr(task_spec, "extensions", None) or {})
            element = getattr(task_spec, "bpmn_id", None) or task_spec.name
            if props.get(CLOCK):
                steps.add(str(element))
            if index == 0 and props.get(CASE_CLOCK) and case_policy is None:
                case_policy, case_element = str(props[CASE_CLOCK]).strip(), str(element)
    return Declared(case_policy, case_element, frozenset(steps))


def sync(session: Session, instance: Instance, wf: runtime.Workflow, now: datetime,
         opened: list[tuple[HumanTask, runtime.OpenTask]], closed: Sequence[TaskRow]) -> None:
    """Start clocks of opened tasks, finish those of closed ones and of an ended instance."""
    info = declared(wf)
    if opened and info.case_policy is not None:  # new tasks show the case clock's due date
        task_deadlines.mark(session, instance.id)
    ended = instance.status not in _LIVE
    starting = [(row, task) for row, task in opened if element_properties(task.extensions).get(CLOCK)]
    closing = [row for row in closed if row.element_id in info.step_elements]
    new_case = info.case_policy is not None and instance.lock_version == 1
    pausing = [row for row, task in opened if element_properties(task.extensions).get(CLOCK_PAUSE)]
    acting = [row for row in closed if set(_row_properties(row)) & {CLOCK_START, CLOCK_FINISH, CLOCK_PAUSE}]
    if not (ended or starting or closing or new_case or pausing or acting):
        return
    existing = _clocks_of(session, instance)
    if acting or pausing:
        existing += _case_actions(session, instance, now, existing, acting, pausing)
    if new_case and not any(c.task_id is None and c.element_id == info.case_element for c in existing):
        _start_case_clock(session, instance, now, info)
    for row, task in starting:
        _start_step_clock(session, instance, now, row, task)
    by_task = {c.task_id: c for c in existing if c.active and c.task_id}
    for done in closing:
        clock = by_task.get(done.id)
        if clock is not None:
            lifecycle.finish_clock(session, done.completed_by, now, clock, cancelled=done.status != "completed")
    if ended:
        last = next((r.completed_by for r in reversed(closed) if r.status == "completed" and r.completed_by), None)
        for clock in existing:
            if clock.active:
                lifecycle.finish_clock(session, last, now, clock, cancelled=instance.status != "completed")


def _row_properties(row: TaskRow) -> dict[str, Any]:
    return dict((row.properties or {}).get("bpmn_properties") or {})


def _case_actions(session: Session, instance: Instance, now: datetime, existing: list[Clock],
                  closed: Sequence[TaskRow], opened: list[HumanTask]) -> list[Clock]:
    """Resume, finish and start case clocks as tasks close, then pause them as tasks open; returns new clocks."""
    case = [c for c in existing if c.task_id is None and c.active]
    for row in closed:
        props = _row_properties(row)
        if props.get(CLOCK_PAUSE):
            for clock in case:
                if clock.active and clock.paused_since is not None:
                    lifecycle.resume_clock(session, row.completed_by, now, clock.id)
        if row.status != "completed":
            continue
        finishing = {p.strip() for p in str(props.get(CLOCK_FINISH) or "").split(",") if p.strip()}
        for clock in case:
            if clock.active and clock.policy_code in finishing:
                lifecycle.finish_clock(session, row.completed_by, now, clock)
        policy = str(props.get(CLOCK_START) or "").strip()
        if policy and not any(c.active and c.policy_code == policy for c in case):
            user = find_user(session, row.completed_by) if row.completed_by else None
            dept = user.department.code if user is not None and user.department is not None else None
            _guarded_start(session, instance, now, policy, None, row.element_id, row.completed_by, dept, None)
            session.flush()
            case = [c for c in _clocks_of(session, instance) if c.task_id is None and c.active]
    for row in opened:
        reason = str(_row_properties(row).get(CLOCK_PAUSE) or "").strip()
        for clock in case:
            if clock.active and clock.paused_since is None:
                try:
                    lifecycle.pause_clock(session, None, now, clock.id, reason, note=row.name)
                except EngineError as exc:
                    audit.record(session, "clock_skipped", None, now, instance_id=instance.id, task_id=row.id,
                                 element_id=row.element_id, detail={"policy": clock.policy_code,
                                                                    "reason": str(exc)})
    known = {c.id for c in existing}
    return [c for c in case if c.id not in known]


def _clocks_of(session: Session, instance: Instance) -> list[Clock]:
    """Active clocks and case-level ones, without flushing the step's pending projection rows."""
    with session.no_autoflush:
        return list(session.scalars(select(Clock).where(
            Clock.instance_id == instance.id, or_(Clock.active.is_(True), Clock.task_id.is_(None)))))


def _start_case_clock(session: Session, instance: Instance, now: datetime, info: Declared) -> None:
    user = find_user(session, instance.started_by) if instance.started_by else None
    dept = user.department.code if user is not None and user.department is not None else None
    _guarded_start(session, instance, now, str(info.case_policy), None, info.case_element,
                   instance.started_by, dept, None)


def _start_step_clock(session: Session, instance: Instance, now: datetime, row: HumanTask,
                      task: runtime.OpenTask) -> None:
    props = element_properties(task.extensions)
    users = [c.value for c in row.candidates if c.kind == "user"]
    groups = [c.value for c in row.candidates if c.kind == "group"]
    responsible = row.assignee or (users[0] if users else None)
    due = _due_date(props.get(CLOCK_DUE), task.data, row) if props[CLOCK] == DUBAN else None
    _guarded_start(session, instance, now, str(props[CLOCK]).strip(), row.id, row.element_id, responsible,
                   _department(session, responsible, groups), due)


def _guarded_start(session: Session, instance: Instance, now: datetime, policy: str, task_id: str | None,
                   element_id: str | None, responsible: str | None, dept: str | None,
                   due: date | None) -> None:
    """A bad declaration (unknown policy, 督办 without a date) is recorded, never stops the case."""
    try:
        with session.no_autoflush:
            lifecycle.start_clock(session, None, now, policy, instance_id=instance.id, task_id=task_id,
                                  element_id=element_id, responsible=responsible, department_code=dept,
                                  due_date=due, flush=False)
    except EngineError as exc:
        audit.record(session, "clock_skipped", None, now, instance_id=instance.id, task_id=task_id,
                     element_id=element_id, detail={"policy": policy, "reason": str(exc)})


def _department(session: Session, username: str | None, groups: list[str]) -> str | None:
    """The responsible user's department, else the department (or code) of the first candidate group."""
    user = find_user(session, username) if username else None
    if user is not None and user.department is not None:
        return user.department.code
    if not groups:
        return None
    group = session.scalar(select(Group).where(Group.code == groups[0]))
    if group is not None and group.department_id is not None:
        dept = session.get(Department, group.department_id)
        if dept is not None:
            return dept.code
    return groups[0][:64]


def _due_date(raw: Any, data: dict[str, Any], row: HumanTask) -> date | None:
    """`clock_due` as an ISO date or a variable name; else the task's own due date."""
    value = data.get(raw, raw) if isinstance(raw, str) and raw.isidentifier() else raw
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    return row.due_at.date() if row.due_at is not None else None
