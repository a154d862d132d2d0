"""Rewrites the human-task projection from workflow state, in the same transaction as the state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from engine.bpmn import runtime
from engine.core import events
from engine.core.clock import to_db
from engine.flow import assignment, step_clocks, task_deadlines  # noqa: F401  (its flush hook keeps task deadlines)
from engine.flow.models import HumanTask, Instance, TaskCandidate

OPEN = "open"
COMPLETED = "completed"
CANCELLED = "cancelled"
REOPENED = "govflow_reopened_task_ids"

# Prepared once: building a statement costs more than running it on SQLite.
_OPEN_ROWS = select(HumanTask.id, HumanTask.element_id, HumanTask.properties).where(
    HumanTask.instance_id == bindparam("o_instance"), HumanTask.status == OPEN)
_CLOSE_ROW = (update(HumanTask).where(HumanTask.id == bindparam("c_id"))
              .values(status=bindparam("c_status"), completed_at=bindparam("c_at"), completed_by=bindparam("c_by")))
_CLOSE_CANDIDATES = (update(TaskCandidate).where(TaskCandidate.task_id.in_(bindparam("c_ids", expanding=True)))
                     .values(open=False))
_ROW_COLUMNS = [column.key for column in HumanTask.__table__.columns]
_INSERT_ROW = insert(HumanTask)
_INSERT_CANDIDATE = insert(TaskCandidate)


def sync_tasks(session: Session, instance: Instance, wf: runtime.Workflow, now: datetime,
               evaluate: assignment.Evaluate, done: dict[str, str] | None = None,
               current_tasks: list[runtime.OpenTask] | None = None) -> list[HumanTask]:
    """Insert newly opened tasks and close vanished ones; `done` maps task id -> who completed it.

    Every step does this, so it writes with prepared statements instead of ORM flushes: the rows it
    closes stay in the session with their new values; the rows it opens are inserted at once and
    returned as detached objects (clock hooks read them; later queries load them like any row)."""
    done = done or {}
    current = {t.id: t for t in (runtime.open_tasks(wf) if current_tasks is None else current_tasks)}
    existing = _open_rows(session, instance)
    stamp = to_db(now)
    closed = [row for task_id, row in existing.items() if task_id not in current]
    _close(session, closed, done, stamp)
    reopened = session.info.pop(REOPENED, set())  # tasks a send-back or withdrawal reset keep their ids
    for task_id in current:
        if task_id not in existing and task_id in reopened:
            _forget_row(session, task_id)
    opened = [_build(instance, task, now, evaluate) for task_id, task in current.items() if task_id not in existing]
    _insert(session, opened)
    _tell(session, instance, now, closed, opened)
    # Statutory clocks follow the rows (no query unless the process declares clocks or has ended).
    step_clocks.sync(session, instance, wf, now, [(row, current[row.id]) for row in opened], closed)
    return opened


def _tell(session: Session, instance: Instance, now: datetime, closed: list[OpenRow],
          opened: list[HumanTask]) -> None:
    """Steps done and steps opened, as events for other systems (engine.core.events)."""
    if not (closed or opened):
        return
    case = {"instance_id": instance.id, "process_id": instance.process_id}
    happened = [events.Event(events.TASK_COMPLETED, {**case, "task_id": row.id, "element_id": row.element_id,
                                                     "completed_by": row.completed_by})
                for row in closed if row.status == COMPLETED]
    happened += [events.Event(events.TASK_CREATED, {
        **case, "task_id": row.id, "element_id": row.element_id, "name": row.name, "assignee": row.assignee,
        "candidate_users": [c.value for c in row.candidates if c.kind == "user"],
        "candidate_groups": [c.value for c in row.candidates if c.kind == "group"],
        "due_at": events.moment(row.due_at)}) for row in opened]
    events.emit_all(session, now, happened)


def _close(session: Session, rows: list[OpenRow], done: dict[str, str], stamp: Any) -> None:
    """Closed tasks leave the inboxes: one prepared UPDATE for the rows, one for their candidates;
    rows the session has loaded take the same values."""
    if not rows:
        return
    for row in rows:
        row.status = COMPLETED if row.id in done else CANCELLED
        row.completed_by = done.get(row.id)
    session.connection().execute(_CLOSE_ROW, [{"c_id": row.id, "c_status": row.status, "c_at": stamp,
                                               "c_by": row.completed_by} for row in rows])
    for row in rows:
        loaded = session.identity_map.get(identity_key(HumanTask, row.id))
        if loaded is not None:
            set_committed_value(loaded, "status", row.status)
            set_committed_value(loaded, "completed_at", stamp)
            set_committed_value(loaded, "completed_by", row.completed_by)
    _close_candidates(session, [row.id for row in rows])


def _close_candidates(session: Session, ids: list[str]) -> None:
    """Mark the stored candidate rows of closed tasks without loading them; loaded ones are told too."""
    if not ids:
        return
    session.connection().execute(_CLOSE_CANDIDATES, {"c_ids": ids})
    wanted = set(ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, TaskCandidate) and obj.task_id in wanted:
            set_committed_value(obj, "open", False)


def _forget_row(session: Session, task_id: str) -> None:
    """A reopened task's old (completed) row gives way to a fresh one; the audit trail keeps its history."""
    old = session.get(HumanTask, task_id)
    if old is not None:
        session.delete(old)
        session.flush()


@dataclass
class OpenRow:
    """An open task as the projection needs it to close the task (clock hooks read it too)."""

    id: str
    element_id: str
    properties: dict[str, Any]
    status: str = OPEN
    completed_by: str | None = None


def _open_rows(session: Session, instance: Instance) -> dict[str, OpenRow]:
    """The instance's open tasks, read without loading ORM rows or flushing the caller's changes."""
    found = {task_id: OpenRow(task_id, element_id, properties or {}) for task_id, element_id, properties
             in session.connection().execute(_OPEN_ROWS, {"o_instance": instance.id})}
    # A row a caller closed in memory and has not flushed yet is no longer open.
    for obj in session.dirty:
        if isinstance(obj, HumanTask) and obj.instance_id == instance.id and obj.status != OPEN:
            found.pop(obj.id, None)
    return found


def _build(instance: Instance, task: runtime.OpenTask, now: datetime, evaluate: assignment.Evaluate) -> HumanTask:
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
                    due_at=to_db(who.due_at), deadline_at=to_db(who.due_at), created_at=to_db(now),
                    claimed_at=None, completed_at=None, completed_by=None, properties=props, warning_level="none")
    row.candidates = [TaskCandidate(task_id=task.id, kind="user", value=u, open=True) for u in who.users]
    row.candidates += [TaskCandidate(task_id=task.id, kind="group", value=g, open=True) for g in who.groups]
    return row


def _insert(session: Session, rows: list[HumanTask]) -> None:
    """Opened tasks and their candidates: one prepared INSERT each, whatever the number of rows."""
    if not rows:
        return
    connection = session.connection()
    connection.execute(_INSERT_ROW, [{name: getattr(row, name) for name in _ROW_COLUMNS} for row in rows])
    candidates = [{"task_id": c.task_id, "kind": c.kind, "value": c.value, "open": True}
                  for row in rows for c in row.candidates]
    if candidates:
        connection.execute(_INSERT_CANDIDATE, candidates)


def close_all(session: Session, instance: Instance, now: datetime) -> None:
    """Cancel every open task row of an instance (cancellation, termination)."""
    closed = []
    for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status == OPEN)):
        row.status = CANCELLED
        row.completed_at = to_db(now)
        closed.append(row.id)
    _close_candidates(session, closed)


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)
