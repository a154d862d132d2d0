"""督办 deadlines changed by people: each handling department's own date, set after the instruction.

A leader's 批办 gives every handling department the same date; a different date for one department
(or a later change for all) is set here, clock by clock. Who may: the person whose action opened the
step (the leader who instructed: the last person to act on the case before the clock started) and
supervision staff. A reason is required; the clock's holder is notified and the trail keeps both dates.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clocks import lifecycle
from engine.clocks.models import Clock
from engine.clocks.policies import DUBAN
from engine.core.errors import Forbidden, InvalidInput
from engine.core.models import AuditEvent
from engine.flow import task_actions
from engine.flow.models import HumanTask
from engine.gov import supervision
from engine.org import notify
from engine.org.directory import find_user
from engine.org.models import User

REASON_MAX = 500

__all__ = ["may_set_deadline", "set_deadline", "opened_by"]


def opened_by(session: Session, clock: Clock) -> str | None:
    """Whoever acted last on the case before this clock started: the person who gave the step its date."""
    # A step's clock is recorded as it starts, often before it has an id: find it by its task.
    which = (AuditEvent.task_id == clock.task_id if clock.task_id
             else AuditEvent.detail["clock_id"].as_integer() == clock.id)
    started = session.scalar(select(AuditEvent.id).where(
        AuditEvent.instance_id == clock.instance_id, AuditEvent.action == "clock_start", which)
        .order_by(AuditEvent.id.desc()).limit(1))
    if started is None:
        return None
    return session.scalar(select(AuditEvent.actor).where(
        AuditEvent.instance_id == clock.instance_id, AuditEvent.id < started, AuditEvent.actor.is_not(None))
        .order_by(AuditEvent.id.desc()).limit(1))


def may_set_deadline(session: Session, username: str | None, clock: Clock) -> bool:
    """Running 督办 clocks only; the instructing person or supervision staff."""
    if not username or not clock.active or clock.policy_code != DUBAN:
        return False
    return supervision.may_supervise(session, username) or opened_by(session, clock) == username


def set_deadline(session: Session, actor: str, now: datetime, clock_id: int, due_date: date,
                 reason: str) -> Clock:
    """Move one department's 督办 date, with the reason, and tell the person who holds the step."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写调整原因 / give the reason for the new deadline", field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"调整原因不能超过 {REASON_MAX} 字 / the reason is longer than {REASON_MAX} characters",
                           field="reason")
    clock = lifecycle.get_clock(session, clock_id)
    # A statutory or ended clock is refused by clocks.set_deadline itself, saying which.
    if clock.policy_code == DUBAN and clock.active and not may_set_deadline(session, actor, clock):
        raise Forbidden("只有批办领导或督查人员可以调整督办时限 / only the instructing leader or supervision "
                        "staff may change a 督办 deadline")
    lifecycle.set_deadline(session, actor, now, clock_id, due_date, reason)
    for holder in _holders(session, clock):
        if holder.username != actor:
            notify.notify_user(session, now, holder, f"督办时限调整：{clock.element_id or ''}",
                               f"办理时限已调整为 {due_date.isoformat()}。原因：{reason}",
                               kind="deadline", instance_id=clock.instance_id, clock_id=clock.id)
    session.flush()
    return clock


def _holders(session: Session, clock: Clock) -> list[User]:
    """Whoever holds the clocked step (its assignee, else its candidates); the responsible person otherwise."""
    row = session.get(HumanTask, clock.task_id) if clock.task_id else None
    if row is not None and row.status == "open":
        return task_actions.holders(session, row)
    user = find_user(session, clock.responsible) if clock.responsible else None
    return [user] if user is not None else []
