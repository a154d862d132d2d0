"""The directory sync as a whole: read the directory, plan, apply in batches, and what it means for open
work. A person who moves gives back the steps they claimed through a candidate group of their old unit
(the step goes back to that unit's pool, never with nobody); a leaver's open steps and clocks stay where
they are and are listed for an administrator to hand on (never lost)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.clocks.lifecycle import CANCELLED, EXPIRED, FINISHED_LATE, FINISHED_ON_TIME
from engine.clocks.models import Clock, ClockPolicy
from engine.core import audit
from engine.core.errors import Forbidden, InvalidInput
from engine.core.models import AuditEvent
from engine.flow.models import HumanTask, Instance, TaskCandidate
from engine.flow.projections import OPEN
from engine.org import directory, directory_sync, ldap_source
from engine.org.models import Department, Group, User

FINISHED = (FINISHED_ON_TIME, FINISHED_LATE, CANCELLED, EXPIRED)


def _unit_groups(session: Session, dept: Department) -> set[str]:
    """Candidate group codes that belong to a unit: its own code and the groups attached to it."""
    return {dept.code, *session.scalars(select(Group.code).where(Group.department_id == dept.id))}


def release_after_move(session: Session, now: datetime, user: User, old: Department | None) -> list[HumanTask]:
    """Steps the person holds because they were in the old unit's candidate group go back to its pool."""
    if old is None:
        return []
    unit_groups = _unit_groups(session, old)
    released = []
    for row in session.scalars(select(HumanTask).where(HumanTask.status == OPEN, HumanTask.assignee == user.username)):
        named = any(c.kind == "user" and c.value == user.username for c in row.candidates)
        if named or not any(c.kind == "group" and c.value in unit_groups for c in row.candidates):
            continue  # the step names the person, or another unit's group: it stays theirs
        row.assignee, row.claimed_at = None, None
        audit.record(session, "release", None, now, instance_id=row.instance_id, task_id=row.id,
                     element_id=row.element_id, detail={"reason": "moved", "user": user.username,
                                                        "from_unit": old.code})
        released.append(row)
    session.flush()
    return released


def last_sync(session: Session) -> tuple[datetime, dict[str, Any]] | None:
    """When the directory was last synced and what changed (for the admin page)."""
    row = session.scalars(select(AuditEvent).where(AuditEvent.action == "directory_synced")
                          .order_by(AuditEvent.id.desc()).limit(1)).first()
    return (row.at, dict(row.detail or {})) if row is not None else None


def hooks(session: Session, now: datetime) -> directory_sync.Hooks:
    def moved(user: User, old: Department | None) -> None:
        release_after_move(session, now, user, old)

    return directory_sync.Hooks(moved=moved)


def plan(session: Session, settings: ldap_source.DirectorySettings) -> directory_sync.Plan:
    return directory_sync.plan(session, ldap_source.read(settings))


def run(session: Session, actor: str | None, now: datetime, settings: ldap_source.DirectorySettings, *,
        dry_run: bool = False, batch_size: int = 500,
        after_batch: Callable[[int, int], None] | None = None) -> directory_sync.Plan:
    """Read the directory and, unless a dry run, apply what differs; the plan says what it was."""
    if batch_size < 1:
        raise InvalidInput("--batch-size 至少为 1 / --batch-size must be at least 1", field="batch_size")
    the_plan = plan(session, settings)
    if not dry_run:
        directory_sync.apply(session, actor, now, the_plan, batch_size=batch_size, after_batch=after_batch,
                             hooks=hooks(session, now))
    return the_plan


@dataclass
class LeftWork:
    """An open step or a running clock that waits on a disabled account."""

    kind: str  # task clock
    id: str
    instance_id: int | None
    case: str
    step: str
    holder: str
    pool: bool  # the step has a candidate group it may go back to


def leavers_work(session: Session, limit: int = 200) -> list[LeftWork]:
    """Open steps held by or named only for disabled accounts, and their running clocks."""
    gone = select(User.username).where(User.active.is_(False))
    found: list[LeftWork] = []
    held = (select(HumanTask, Instance.title).join(Instance, Instance.id == HumanTask.instance_id)
            .where(HumanTask.status == OPEN, or_(HumanTask.assignee.in_(gone), HumanTask.id.in_(
                select(TaskCandidate.task_id).where(TaskCandidate.open.is_(True), TaskCandidate.kind == "user",
                                                    TaskCandidate.value.in_(gone)))))
            .order_by(HumanTask.created_at, HumanTask.id).limit(limit))
    inactive = set(session.scalars(gone))
    for row, title in session.execute(held):
        live = [c for c in row.candidates if not (c.kind == "user" and c.value in inactive)]
        if (row.assignee is not None and row.assignee not in inactive) or (row.assignee is None and live):
            continue  # someone working holds it, or someone else can still take it
        groups = any(c.kind == "group" for c in row.candidates)
        holder = row.assignee or next(c.value for c in row.candidates if c.kind == "user")
        found.append(LeftWork("task", row.id, row.instance_id, title, row.name, holder, groups))
    clocks = (select(Clock, Instance.title, ClockPolicy.name).outerjoin(Instance, Instance.id == Clock.instance_id)
              .join(ClockPolicy, ClockPolicy.code == Clock.policy_code)
              .where(Clock.responsible.in_(gone), Clock.status.not_in(FINISHED)).order_by(Clock.id).limit(limit))
    for clock, title, policy in session.execute(clocks):
        found.append(LeftWork("clock", str(clock.id), clock.instance_id, title or "", policy,
                              clock.responsible or "", False))
    return found


def return_to_pool(session: Session, actor: str, now: datetime, task_id: str) -> HumanTask:
    """An administrator gives a leaver's step back to its candidate groups."""
    if not directory.is_admin(session, actor):
        raise Forbidden(f"只有管理员可以处理离职人员的待办 / only an administrator may hand on a leaver's work ({actor})")
    row = session.get(HumanTask, task_id)
    if row is None or row.status != OPEN:
        raise InvalidInput("该事项已办结或不存在 / the step is no longer open", field="task_id")
    if not any(c.kind == "group" for c in row.candidates):
        raise InvalidInput("此环节没有候选组，请转办给具体人员 / the step has no candidate group; transfer it to "
                           "a person instead", field="task_id")
    before = row.assignee
    row.assignee, row.claimed_at = None, None
    audit.record(session, "release", actor, now, instance_id=row.instance_id, task_id=row.id,
                 element_id=row.element_id, detail={"reason": "leaver", "user": before})
    session.flush()
    return row
