"""Extension requests (延期申请): the handler asks, a head approves or refuses; approval extends the clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clocks import lifecycle
from engine.clocks.models import Clock
from engine.clocks.policies import get_policy
from engine.core import audit
from engine.core.clock import to_db
from engine.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.flow import tasks
from engine.gov.models import ExtensionRequest
from engine.org import directory, notify
from engine.org.models import User


def approvers(session: Session, clock: Clock) -> list[User]:
    """Who may decide: the responsible person's supervisor and the leaders of the clock's department."""
    found: dict[str, User] = {}
    person = directory.find_user(session, clock.responsible) if clock.responsible else None
    if person is not None and person.supervisor_id is not None:
        boss = session.get(User, person.supervisor_id)
        if boss is not None:
            found[boss.username] = boss
    if clock.department_code:
        for user in directory.group_members(session, f"{clock.department_code}_leader"):
            found.setdefault(user.username, user)
    return list(found.values())


def request_extension(session: Session, actor: str, now: datetime, clock_id: int, days: int,
                      reason: str) -> ExtensionRequest:
    """Ask for more time on a running clock the actor is responsible for (or works on)."""
    clock = lifecycle.get_clock(session, clock_id)
    if not clock.active:
        raise Conflict(f"该时限已结束，无需延期 / clock {clock_id} has ended ({clock.status}); there is nothing to extend")
    if actor != clock.responsible and not directory.is_admin(session, actor) and not _works_on(session, actor, clock):
        raise Forbidden("只有该时限的责任人或办理人可以申请延期 / only the person responsible for this time limit may "
                        "ask to extend it")
    policy = get_policy(session, clock.policy_code)
    if policy.max_extension_days <= 0:
        raise Conflict(f"「{policy.name}」的时限依规定不能延期 / {policy.name} cannot be extended: its basis allows "
                       "no extension")
    if not isinstance(days, int) or days <= 0:
        raise InvalidInput("延期天数应为 1 或以上的整数 / ask for a whole number of days, 1 or more", field="days")
    if not (reason or "").strip():
        raise InvalidInput("请写明延期理由（将告知申请人） / say why more time is needed (it is shown to the applicant)",
                           field="reason")
    pending = session.scalar(select(ExtensionRequest.id).where(ExtensionRequest.clock_id == clock.id,
                                                              ExtensionRequest.status == "pending"))
    if pending is not None:
        raise Conflict("该时限已有待审批的延期申请 / a request to extend this time limit is already waiting for a decision")
    row = ExtensionRequest(clock_id=clock.id, instance_id=clock.instance_id, days=days, reason=reason.strip(),
                           requested_by=actor, requested_at=to_db(now))
    session.add(row)
    session.flush()
    audit.record(session, "extension_requested", actor, now, instance_id=clock.instance_id,
                 task_id=clock.task_id, detail={"clock": clock.id, "days": days, "request": row.id},
                 opinion=row.reason)
    for user in approvers(session, clock):
        notify.notify_user(session, now, user, "延期申请待审批", f"{actor} 申请延期 {days} 天：{row.reason}",
                           kind="extension", instance_id=clock.instance_id, clock_id=clock.id)
    return row


def _works_on(session: Session, actor: str, clock: Clock) -> bool:
    if not clock.task_id:
        return False
    try:
        row = tasks.get(session, clock.task_id)
    except NotFound:
        return False
    return tasks.may_work(session, row, actor)


def decide(session: Session, actor: str, now: datetime, request_id: int, approve: bool,
           note: str = "") -> ExtensionRequest:
    """An approver's decision; approval extends the clock within what its law allows."""
    row = session.get(ExtensionRequest, request_id)
    if row is None:
        raise NotFound(f"延期申请 {request_id} 不存在 / extension request {request_id} does not exist")
    if row.status != "pending":
        raise Conflict(f"该申请已由他人审批 / this request was already {row.status} by {row.decided_by}")
    clock = lifecycle.get_clock(session, row.clock_id)
    allowed = {u.username for u in approvers(session, clock)}
    if actor not in allowed and not directory.is_admin(session, actor):
        raise Forbidden("只有责任人的上级或本部门领导可以审批 / only the responsible person's supervisor or a leader of "
                        "the department may decide")
    if actor == row.requested_by:
        raise Forbidden("不能审批自己提出的申请 / a request cannot be approved by the person who made it")
    if approve:
        lifecycle.extend_clock(session, row.requested_by, now, clock.id, row.days, row.reason, approved_by=actor)
    elif not (note or "").strip():
        raise InvalidInput("不予批准须写明理由 / say why the extension is refused", field="note")
    row.status = "approved" if approve else "refused"
    row.decided_by, row.decided_at, row.note = actor, to_db(now), (note or "").strip() or None
    audit.record(session, "extension_" + row.status, actor, now, instance_id=row.instance_id,
                 detail={"clock": clock.id, "days": row.days, "request": row.id}, opinion=row.note)
    requester = directory.find_user(session, row.requested_by)
    if requester is not None:
        notify.notify_user(session, now, requester, "延期申请已" + ("批准" if approve else "驳回"),
                           f"{actor}：{row.note or ''}", kind="extension", instance_id=row.instance_id)
    session.flush()
    return row


def pending_for(session: Session, actor: str) -> list[ExtensionRequest]:
    """Requests waiting for this approver, oldest first: those whose clock's approvers() name `actor`."""
    rows = session.scalars(select(ExtensionRequest).where(ExtensionRequest.status == "pending")
                           .order_by(ExtensionRequest.requested_at, ExtensionRequest.id))
    return [r for r in rows
            if actor in {u.username for u in approvers(session, lifecycle.get_clock(session, r.clock_id))}]


def pending_count(session: Session, actor: str) -> int:
    """How many requests wait for this approver (the inbox shows the number on every page)."""
    return len(pending_for(session, actor))


