"""Each open task carries the deadline and warning level its inbox row shows, kept from the clocks.

An inbox sorts and filters by due date and yellow/red level. Working them out per row from the clock
table costs several index lookups per visible task; instead every flush that touches a clock or opens
a task rewrites the columns of that instance's open tasks (one UPDATE), and the scheduler's set-based
check does the same for the instances it changed. The rule: the task's own active clock, else the
due date from the BPMN (HumanTask.due_at), else the case's earliest active clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, func, literal, select, update
from sqlalchemy.orm import Session, aliased

from engine.clocks.models import Clock
from engine.flow.models import HumanTask

OPEN = "open"
PENDING = "govflow_deadline_refresh"


def _step(column: Any) -> Any:
    step = aliased(Clock)
    return (select(column(step)).where(step.task_id == HumanTask.id, step.active.is_(True))
            .order_by(step.id).limit(1).scalar_subquery())


def _case(column: Any, order: Any) -> Any:
    case = aliased(Clock)
    return (select(column(case)).where(case.instance_id == HumanTask.instance_id, case.task_id.is_(None),
                                       case.active.is_(True)).order_by(order(case)).limit(1).scalar_subquery())


def refresh(session: Session, instance_ids: Iterable[int | None]) -> None:
    """Rewrite deadline and warning level of the open tasks of these instances."""
    ids = sorted({i for i in instance_ids if i is not None})
    if not ids:
        return
    due = func.coalesce(_step(lambda c: c.due_at), HumanTask.due_at, _case(lambda c: c.due_at, lambda c: c.due_at))
    level = func.coalesce(_step(lambda c: c.warning_level), _case(lambda c: c.warning_level, lambda c: c.due_at),
                          literal("none"))
    session.connection().execute(update(HumanTask).where(HumanTask.instance_id.in_(ids), HumanTask.status == OPEN)
                                 .values(deadline_at=due, warning_level=level))


def mark(session: Session, instance_id: int) -> None:
    """Ask the next flush to refresh this instance (a task opened under a case clock)."""
    session.info.setdefault(PENDING, set()).add(instance_id)


def refresh_marked(session: Session) -> None:
    """Refresh the instances marked since the last flush: a step that writes its task rows with SQL
    and changes no clock has nothing for a flush to carry."""
    refresh(session, session.info.pop(PENDING, set()))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, context: Any) -> None:
    """Clocks written in this flush, or instances marked: refresh their open tasks. A process
    without clocks costs nothing here (its new tasks take their BPMN due date when inserted)."""
    touched = session.info.pop(PENDING, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Clock):
            touched.add(obj.instance_id)
    refresh(session, touched)
