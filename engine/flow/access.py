"""Who may look at a case (its starter, the people who worked or may work it, copy recipients, deputies
of those, supervisors and administrators), and on whose behalf a deputy may work a task."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from engine.core.errors import Forbidden
from engine.core.models import AuditEvent
from engine.flow.models import CarbonCopy, HumanTask, Instance, TaskCandidate
from engine.org import deputies
from engine.org.directory import group_codes, is_admin, member_groups

OVERSEERS = frozenset({"supervisor", "city_leader", "designer"})


def may_view(session: Session, username: str | None, inst: Instance, now: datetime | None = None) -> bool:
    """Reading a case needs a part in it (or oversight); every check is one indexed query."""
    if not username:
        return False
    if inst.started_by == username or is_admin(session, username):
        return True
    if member_groups(session, username) & OVERSEERS:  # a role: groups only, never a department code
        return True
    groups = group_codes(session, username)
    if _has_part(session, username, groups, inst.id):
        return True
    if now is not None:
        return any(_has_part(session, p, group_codes(session, p), inst.id) or inst.started_by == p
                   for p in deputies.principals(session, username, now))
    return False


def _has_part(session: Session, username: str, groups: set[str], instance_id: int) -> bool:
    candidate = exists().where(TaskCandidate.task_id == HumanTask.id, or_(
        and_(TaskCandidate.kind == "user", TaskCandidate.value == username),
        and_(TaskCandidate.kind == "group", TaskCandidate.value.in_(sorted(groups) or [""]))))
    task = select(HumanTask.id).where(HumanTask.instance_id == instance_id, or_(
        HumanTask.assignee == username, HumanTask.completed_by == username, candidate))
    acted = select(AuditEvent.id).where(AuditEvent.instance_id == instance_id, AuditEvent.actor == username)
    copied = select(CarbonCopy.id).where(CarbonCopy.instance_id == instance_id, CarbonCopy.recipient == username)
    query = select(exists(task.limit(1)) | exists(acted.limit(1)) | exists(copied.limit(1)))
    return bool(session.scalar(query))


def require_view(session: Session, username: str | None, inst: Instance, now: datetime | None = None) -> None:
    if not may_view(session, username, inst, now):
        raise Forbidden(f"您没有参与案件 #{inst.id}，不能查看 / {username or 'anonymous'} has no part in case {inst.id}")


def acting_for(session: Session, row: HumanTask, actor: str | None, now: datetime,
               may_work: Callable[[Session, HumanTask, str], bool]) -> str | None:
    """The person on whose behalf `actor` may work the task, if any; never through an admin's rights."""
    if not actor:
        return None
    for principal in deputies.principals(session, actor, now):
        if row.assignee and row.assignee != principal:
            continue
        if not row.assignee and is_admin(session, principal) and not _named(session, row, principal):
            continue
        if may_work(session, row, principal):
            return principal
    return None


def _named(session: Session, row: HumanTask, principal: str) -> bool:
    groups = group_codes(session, principal)
    return any((c.kind == "user" and c.value == principal) or (c.kind == "group" and c.value in groups)
               for c in row.candidates)
