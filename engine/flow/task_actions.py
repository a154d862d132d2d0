"""The operations clerks expect on a task beyond completing it: 退回, 撤回, 驳回, 转办, 委派, 抄送, 催办.

Every one is recorded in the audit trail with who, when and why."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import countersign, runtime
from engine.bpmn.serializer import serializer
from engine.core import audit
from engine.core.clock import to_db
from engine.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.core.models import AuditEvent
from engine.flow import instances, signers, state_store, tasks
from engine.flow.models import CarbonCopy, HumanTask, Instance
from engine.flow.projections import REOPENED
from engine.org import directory, notify
from engine.org.models import Group, Membership, User

REJECTED = "rejected"
URGE_INTERVAL = timedelta(hours=1)


def _reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("请填写理由：理由将记入办理过程并告知相关人员 / give a reason: it is written to the trail and shown to the people concerned",
                           field=field)
    return text[:2000]


def _user(session: Session, username: str | None, field: str) -> User:
    user = directory.find_user(session, (username or "").strip()) if username else None
    if user is None:
        raise InvalidInput(f"没有用户名为“{username or ''}”的人员，请从列表中选择 / no user named '{username or ''}'", field=field)
    return user


def _working(session: Session, actor: str, now: datetime, task_id: str) -> tuple[HumanTask, Instance]:
    row, _ = tasks._open_row_for(session, task_id, actor, now)
    inst = instances.get(session, row.instance_id)
    instances.require_running(inst)
    return row, inst


def send_back_targets(session: Session, now: datetime, task_id: str) -> list[dict[str, Any]]:
    """Earlier completed steps of the task's instance, with who did them, oldest first (退回 choices)."""
    row = tasks.get(session, task_id)
    inst = instances.get(session, row.instance_id)
    loaded = instances.load(session, inst, now)
    done = {t.id: t for t in runtime.completed_user_tasks(loaded.wf)}
    instances.give_back(session, loaded)  # only read: the step that follows takes it from the cache
    rows = session.scalars(select(HumanTask).where(HumanTask.id.in_(list(done) or [""])))
    by_id = {r.id: r for r in rows}
    return [{"task_id": t.id, "element_id": t.element_id, "name": t.name,
             "completed_by": by_id[t.id].completed_by if t.id in by_id else None}
            for t in done.values() if t.element_id != row.element_id]


def _reopen(session: Session, inst: Instance, now: datetime, target: str, actor: str, action: str,
            detail: dict[str, Any], opinion: str | None, data: dict[str, Any] | None,
            assignee: str | None) -> None:
    """Reset the workflow to a completed step, reload it (see runtime.reset_to) and save."""
    with instances.operate(session, inst, now) as loaded:
        runtime.reset_to(loaded.wf, target)
        spec, subs = loaded.wf.spec, loaded.wf.subprocess_specs
        rebuilt = serializer().load(serializer().dump(loaded.wf), spec, subs)
        state_store.carry(loaded.wf, rebuilt)
        loaded.wf = rebuilt
        loaded.wf.script_engine = loaded.script_engine
        audit.record(session, action, actor, now, instance_id=inst.id, task_id=target,
                     element_id=detail.get("to_element"), opinion=opinion, detail=detail)
        session.info.setdefault(REOPENED, set()).add(target)
        instances.save(session, loaded, now)
    row = session.get(HumanTask, target)
    if row is not None:
        if assignee:
            row.assignee, row.claimed_at = assignee, to_db(now)
        if data:  # the form opens with what was entered last time (the case data is as before that step)
            row.properties = {**(row.properties or {}), "previous_submission": data}
        session.flush()


def send_back(session: Session, actor: str, now: datetime, task_id: str, target_task_id: str,
              reason: str) -> HumanTask | None:
    """退回: the current step goes back to an earlier step the actor picks, to the person who did it."""
    text = _reason(reason)
    row, inst = _working(session, actor, now, task_id)
    targets = {t["task_id"]: t for t in send_back_targets(session, now, task_id)}
    if target_task_id not in targets:
        raise InvalidInput("请选择要退回到的此前环节 / pick one of the earlier steps of this case to send it back to", field="target")
    target = targets[target_task_id]
    _reopen(session, inst, now, target_task_id, actor, "send_back",
            {"from_task": row.id, "from_element": row.element_id, "from_name": row.name,
             "to_element": target["element_id"], "to_name": target["name"], "to_user": target["completed_by"]},
            text, _submitted(session, inst.id, target_task_id), target["completed_by"])
    return session.get(HumanTask, target_task_id)


def _submitted(session: Session, instance_id: int, task_id: str) -> dict[str, Any]:
    """What was entered at a step the last time it was completed (so a reopened form is not blank)."""
    event = session.scalar(select(AuditEvent).where(
        AuditEvent.instance_id == instance_id, AuditEvent.task_id == task_id, AuditEvent.action == "complete")
        .order_by(AuditEvent.id.desc()).limit(1))
    return {k: v[1] for k, v in (event.changes or {}).items()} if event is not None else {}


def withdraw(session: Session, actor: str, now: datetime, instance_id: int) -> HumanTask | None:
    """撤回: the sender takes back their last step, as long as nobody has acted on what it opened."""
    inst = instances.get(session, instance_id)
    instances.require_running(inst)
    last = session.scalar(select(AuditEvent).where(
        AuditEvent.instance_id == inst.id, AuditEvent.action.in_(("complete", "send_back", "withdraw", "claim",
                                                                   "transfer", "delegate", "resolve")))
        .order_by(AuditEvent.id.desc()).limit(1))
    if last is None or last.action != "complete" or last.actor != actor:
        raise Conflict("只能撤回您本人办理的最后一步，且须在下一环节办理之前 / only the last step can be withdrawn, "
                       "by the person who did it, before anyone acts on it")
    opened_since = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == inst.id, HumanTask.created_at >= last.at, HumanTask.id != last.task_id)).all()
    if any(t.status != "open" or t.claimed_at is not None for t in opened_since):
        raise Conflict("下一环节已签收或办理，不能撤回；请对方退回 / the next person has already acted on this case; "
                       "ask them to send it back instead")
    task_id = str(last.task_id)
    _reopen(session, inst, now, task_id, actor, "withdraw",
            {"to_element": last.element_id, "to_name": (last.detail or {}).get("name")}, None,
            _submitted(session, inst.id, task_id), actor)
    return session.get(HumanTask, task_id)


def reject(session: Session, actor: str, now: datetime, task_id: str, reason: str) -> Instance:
    """驳回: the case ends here, with the reason, and every open step and clock is cancelled."""
    text = _reason(reason)
    row, inst = _working(session, actor, now, task_id)
    with instances.operate(session, inst, now) as loaded:
        runtime.cancel(loaded.wf)
        inst.status, inst.ended_at = REJECTED, to_db(now)
        audit.record(session, "reject", actor, now, instance_id=inst.id, task_id=row.id,
                     element_id=row.element_id, opinion=text, detail={"name": row.name})
        instances.ended(session, now, inst, REJECTED, reason=text)
        instances.save(session, loaded, now)
    return inst


def transfer(session: Session, actor: str, now: datetime, task_id: str, to_user: str, reason: str) -> HumanTask:
    """转办: the task now belongs to someone else for good."""
    text = _reason(reason)
    row, _ = _working(session, actor, now, task_id)
    target = _user(session, to_user, "to_user")
    if target.username == actor:
        raise InvalidInput("请转办给他人，不能转给自己 / transfer the task to someone else", field="to_user")
    before = row.assignee
    row.assignee, row.claimed_at = target.username, to_db(now)
    props = dict(row.properties or {})
    props.pop("delegation", None)
    row.properties = props
    audit.record(session, "transfer", actor, now, instance_id=row.instance_id, task_id=row.id,
                 element_id=row.element_id, opinion=text, detail={"from": before, "to": target.username})
    notify.notify_user(session, now, target, f"转办：{row.name}", f"{actor} 将任务转给您办理：{text}",
                       instance_id=row.instance_id)
    session.flush()
    return row


def delegate(session: Session, actor: str, now: datetime, task_id: str, to_user: str, note: str) -> HumanTask:
    """委派: someone else works the task, then it comes back to the delegator, who completes it."""
    text = _reason(note, "note")
    row, _ = _working(session, actor, now, task_id)
    if (row.properties or {}).get("delegation"):
        raise Conflict("此件已委派他人，请等待交回 / this task is already delegated; wait for it to come back")
    target = _user(session, to_user, "to_user")
    if target.username == actor:
        raise InvalidInput("请委派给他人，不能委派给自己 / delegate the task to someone else", field="to_user")
    row.properties = {**(row.properties or {}), "delegation": {"owner": actor, "delegate": target.username,
                                                                "note": text}}
    row.assignee, row.claimed_at = target.username, to_db(now)
    audit.record(session, "delegate", actor, now, instance_id=row.instance_id, task_id=row.id,
                 element_id=row.element_id, opinion=text, detail={"to": target.username})
    notify.notify_user(session, now, target, f"委派：{row.name}", f"{actor} 请您协助办理：{text}",
                       instance_id=row.instance_id)
    session.flush()
    return row


def resolve(session: Session, actor: str, now: datetime, task_id: str, opinion: str,
            data: dict[str, Any] | None = None) -> HumanTask:
    """The delegate hands the task back with an opinion (and a draft of the form) to the delegator."""
    row, _ = _working(session, actor, now, task_id)
    delegation = (row.properties or {}).get("delegation")
    if not delegation or delegation.get("delegate") != actor:
        raise Conflict("只有受委派人可以交回此件 / only the person this task was delegated to can hand it back")
    text = _reason(opinion, "opinion")
    owner = delegation["owner"]
    row.properties = {**(row.properties or {}), "delegation": None,
                      "delegate_result": {"by": actor, "opinion": text, "data": instances.check_data(data)}}
    row.assignee, row.claimed_at = owner, to_db(now)
    audit.record(session, "resolve", actor, now, instance_id=row.instance_id, task_id=row.id,
                 element_id=row.element_id, opinion=text, detail={"to": owner})
    session.flush()
    return row


def carbon_copy(session: Session, actor: str, now: datetime, task_id: str, recipients: list[str],
                note: str = "") -> list[CarbonCopy]:
    """抄送: read-only copies to the people named; they find them in their 抄送 folder."""
    row, _ = _working(session, actor, now, task_id)
    names = list(dict.fromkeys(r.strip() for r in recipients if r and r.strip()))
    if not names:
        raise InvalidInput("请选择抄送对象 / name at least one person to copy", field="recipients")
    users = [_user(session, name, "recipients") for name in names]
    sender = directory.find_user(session, actor)
    shown = (sender.display_name or actor) if sender is not None else actor
    copies = []
    for user in users:
        copy = CarbonCopy(instance_id=row.instance_id, task_id=row.id, sender=actor, recipient=user.username,
                          note=note.strip()[:2000], created_at=to_db(now))
        session.add(copy)
        copies.append(copy)
        notify.notify_user(session, now, user, f"抄送：{row.name}", note.strip() or f"{shown} 抄送给您一份文件",
                           instance_id=row.instance_id)
    audit.record(session, "carbon_copy", actor, now, instance_id=row.instance_id, task_id=row.id,
                 element_id=row.element_id, opinion=note.strip() or None, detail={"to": names})
    session.flush()
    return copies


def mark_copy_read(session: Session, actor: str, now: datetime, copy_id: int) -> CarbonCopy:
    copy = session.get(CarbonCopy, copy_id)
    if copy is None or copy.recipient != actor:
        raise NotFound(f"没有抄送给您的这份抄送件 / no copy {copy_id} for {actor}")
    if copy.read_at is None:
        copy.read_at = to_db(now)
        session.flush()
    return copy


def urge(session: Session, actor: str, now: datetime, task_id: str, note: str = "") -> list[str]:
    """催办: remind whoever holds an open task; once an hour per person and task."""
    row = tasks.get(session, task_id)
    if row.status != "open":
        raise Conflict(f"此件（{row.name}）已办结，无需催办 / task {task_id} is no longer open ({row.status}); there is nobody to urge")
    inst = instances.get(session, row.instance_id)
    if not _may_urge(session, actor, inst):
        raise Forbidden("只有发起人、办理过此件的人员、监察人员或管理员可以催办 / only the case's starter, someone who "
                        "worked on it, a supervisor or an administrator may urge")
    recent = session.scalar(select(AuditEvent.id).where(
        AuditEvent.task_id == row.id, AuditEvent.action == "urge", AuditEvent.actor == actor,
        AuditEvent.at > to_db(now - URGE_INTERVAL)).limit(1))
    if recent is not None:
        raise Conflict("您一小时内已催办过此件，请稍后再催 / you urged this task less than an hour ago")
    people = holders(session, row)
    body = note.strip() or f"请尽快办理「{row.name}」"
    for user in people:
        notify.notify_user(session, now, user, f"催办：{row.name}", body, kind="urge", instance_id=inst.id)
    audit.record(session, "urge", actor, now, instance_id=inst.id, task_id=row.id, element_id=row.element_id,
                 opinion=note.strip() or None, detail={"to": [u.username for u in people]})
    session.flush()
    return [u.username for u in people]


OVERSEERS = {"supervisor", "city_leader"}  # may urge any case: 电子监察 staff and the city's leaders


def _may_urge(session: Session, actor: str, inst: Instance) -> bool:
    if actor == inst.started_by or directory.is_admin(session, actor) or OVERSEERS & directory.member_groups(session, actor):
        return True
    return session.scalar(select(AuditEvent.id).where(AuditEvent.instance_id == inst.id,
                                                      AuditEvent.actor == actor).limit(1)) is not None


def holders(session: Session, row: HumanTask) -> list[User]:
    """The assignee, else candidate users and members of candidate groups."""
    names = {row.assignee} if row.assignee else {c.value for c in row.candidates if c.kind == "user"}
    users = list(session.scalars(select(User).where(User.username.in_(sorted(n for n in names if n)))))
    groups = [c.value for c in row.candidates if c.kind == "group"] if not row.assignee else []
    if groups:
        users += session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                                 .join(Group, Group.id == Membership.group_id).where(Group.code.in_(groups)))
    return list({u.username: u for u in users}.values())


def add_signer(session: Session, actor: str, now: datetime, task_id: str, item: str, reason: str) -> list[str]:
    """加签: someone working a countersign step brings in one more signer (e.g. a department)."""
    text = _reason(reason)
    row, inst = _working(session, actor, now, task_id)
    with instances.operate(session, inst, now) as loaded:
        value = signers.check(session, countersign.signers(loaded.wf, task_id), item)
        countersign.add_parallel_instance(loaded.wf, task_id, value)
        audit.record(session, "add_signer", actor, now, instance_id=inst.id, task_id=row.id,
                     element_id=row.element_id, opinion=text, detail={"item": value})
        instances.save(session, loaded, now)
    return [t.id for t in tasks.open_for_instance(session, inst.id) if t.element_id == row.element_id]


def signer_options(session: Session, now: datetime, task_id: str) -> list[tuple[str, str]]:
    """加签 picker: who could still join the countersign this task belongs to."""
    row = tasks.get(session, task_id)
    loaded = instances.load(session, instances.get(session, row.instance_id), now)
    try:
        return signers.options(session, countersign.signers(loaded.wf, task_id))
    finally:
        instances.give_back(session, loaded)


def may_remove_signer(session: Session, actor: str | None, row: HumanTask) -> bool:
    """减签 is for whoever added this signer, the case's starter and administrators, while they have not signed."""
    if not actor or row.status != "open" or (row.properties or {}).get("item") is None:
        return False
    inst = instances.get(session, row.instance_id)
    return actor in (_added_by(session, inst, row), inst.started_by) or directory.is_admin(session, actor)


def _added_by(session: Session, inst: Instance, row: HumanTask) -> str | None:
    item = (row.properties or {}).get("item")
    return session.scalar(select(AuditEvent.actor).where(
        AuditEvent.instance_id == inst.id, AuditEvent.action == "add_signer",
        AuditEvent.element_id == row.element_id).order_by(AuditEvent.id.desc()).limit(1)
        .where(AuditEvent.detail["item"].as_string() == str(item)))


def remove_signer(session: Session, actor: str, now: datetime, task_id: str, reason: str) -> Instance:
    """减签: a signer who has not signed yet is taken off the step, by whoever added them, the starter or an
    administrator; their part completes empty (an output collection gets None for them)."""
    text = _reason(reason)
    row = tasks.get(session, task_id)
    inst = instances.get(session, row.instance_id)
    instances.require_running(inst)
    item = (row.properties or {}).get("item")
    if actor not in (_added_by(session, inst, row), inst.started_by) and not directory.is_admin(session, actor):
        raise Forbidden("只有加签人、发起人或管理员可以减签 / only whoever added this signer, the case's starter or an "
                        "administrator may remove them")
    if row.status != "open":
        raise Conflict(f"该会签方已{'会签' if row.status == 'completed' else '退出'}，不能减签 / this signer has already {row.status} the step")
    with instances.operate(session, inst, now) as loaded:
        countersign.remove_parallel_instance(loaded.wf, task_id)
        audit.record(session, "remove_signer", actor, now, instance_id=inst.id, task_id=row.id,
                     element_id=row.element_id, opinion=text, detail={"item": item})
        instances.save(session, loaded, now)  # the removed signer's row closes as cancelled
    return inst
