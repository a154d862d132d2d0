"""Rewrites the human-task projection from workflow state, in the same transaction as the state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from engine import assignment, clock_hooks, task_deadlines  # noqa: F401  (its flush hook keeps task deadlines)
from engine.bpmn import runtime
from engine.clock import to_db
from engine.models import HumanTask, Instance, TaskCandidate

OPEN = "open"
COMPLETED = "completed"
CANCELLED = "cancelled"
REOPENED = "govflow_reopened_task_ids"


def sync_tasks(session: Session, instance: Instance, wf: runtime.Workflow, now: datetime,
               evaluate: assignment.Evaluate, done: dict[str, str] | None = None) -> list[HumanTask]:
    """Insert newly opened tasks and close vanished ones; `done` maps task id -> who completed it."""
    done = done or {}
    current = {t.id: t for t in runtime.open_tasks(wf)}
    existing = _open_rows(session, instance)
    stamp = to_db(now)
    closed = []
    for task_id, row in existing.items():
        if task_id in current:
            continue
        row.status = COMPLETED if task_id in done else CANCELLED
        row.completed_at = stamp
        row.completed_by = done.get(task_id)
        closed.append(row)
    _close_candidates(session, closed)
    opened = []
    reopened = session.info.pop(REOPENED, set())  # tasks a send-back or withdrawal reset keep their ids
    for task_id, task in current.items():
        if task_id not in existing:
            if task_id in reopened:
                _forget_row(session, task_id)
            opened.append(_insert(session, instance, task, now, evaluate))
    # Statutory clocks follow the rows (no query unless the process declares clocks or has ended).
    clock_hooks.sync(session, instance, wf, now, [(row, current[row.id]) for row in opened], closed)
    return opened


def _close_candidates(session: Session, rows: list[HumanTask]) -> None:
    """Closed tasks leave the inboxes: one UPDATE for stored candidates, without loading them."""
    stored = [row.id for row in rows if row not in session.new]
    for row in rows:
        if row in session.new:  # opened and closed before any flush: its candidates are not stored yet
            for candidate in row.candidates:
                candidate.open = False
    if not stored:
        return
    with session.no_autoflush:
        session.execute(update(TaskCandidate).where(TaskCandidate.task_id.in_(stored))
                        .values(open=False).execution_options(synchronize_session=False))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, TaskCandidate) and obj.task_id in stored:
            set_committed_value(obj, "open", False)


def _forget_row(session: Session, task_id: str) -> None:
    """A reopened task's old (completed) row gives way to a fresh one; the audit trail keeps its history."""
    old = session.get(HumanTask, task_id)
    if old is not None:
        session.delete(old)
        session.flush()


def _open_rows(session: Session, instance: Instance) -> dict[str, HumanTask]:
    """The instance's open rows as the session sees them, without an autoflush: the caller's
    pending changes are flushed once, together with the projection (one flush per step, not two)."""
    # Closing rows needs no candidates: skip the eager selectin query (they still load on access).
    with session.no_autoflush:
        rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status == OPEN)
                               .options(lazyload(HumanTask.candidates))).all()
    # Unflushed changes the database cannot know about yet: rows closed (or added) in memory.
    found = {row.id: row for row in rows if row.status == OPEN}
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, HumanTask) and obj.instance_id == instance.id and obj.status == OPEN:
            found.setdefault(obj.id, obj)
    return found


def _insert(session: Session, instance: Instance, task: runtime.OpenTask, now: datetime,
            evaluate: assignment.Evaluate) -> HumanTask:
    who = assignment.resolve(task, instance.started_by, now, evaluate)
    props: dict[str, Any] = {}
    if who.notes:
        props["assignment_notes"] = who.notes
    if task.multi_instance_item is not None:
        props["item"] = _plain(task.multi_instance_item)
    if who.properties:  # spiffworkflow:properties and camunda/activiti/flowable/zeebe properties
        props["bpmn_properties"] = dict(who.properties)
    row = HumanTask(id=task.id, instance_id=instance.id, process_id=task.process_id,
                    element_id=task.element_id, name=task.name, kind=task.kind, lane=task.lane,
                    status=OPEN, assignee=who.assignee, form_key=who.form_key, priority=who.priority,
                    due_at=to_db(who.due_at), deadline_at=to_db(who.due_at), created_at=to_db(now), properties=props)
    row.candidates = [TaskCandidate(kind="user", value=u) for u in who.users]
    row.candidates += [TaskCandidate(kind="group", value=g) for g in who.groups]
    session.add(row)
    return row


def close_all(session: Session, instance: Instance, now: datetime) -> None:
    """Cancel every open task row of an instance (cancellation, termination)."""
    closed = []
    for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status == OPEN)):
        row.status = CANCELLED
        row.completed_at = to_db(now)
        closed.append(row)
    _close_candidates(session, closed)


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)
