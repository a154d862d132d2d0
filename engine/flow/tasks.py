"""Human-task services: who may see, claim, release and complete a task."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, union_all, update
from sqlalchemy.orm import Session, aliased, defer, joinedload

from engine.bpmn import runtime
from engine.core import audit
from engine.core.clock import to_db
from engine.core.errors import Conflict, Forbidden, NotFound
from engine.flow import access, instances, step_retry
from engine.flow.models import HumanTask, Instance, TaskCandidate
from engine.flow.projections import OPEN
from engine.org.directory import called, group_codes, is_admin


def get(session: Session, task_id: str) -> HumanTask:
    row = session.get(HumanTask, task_id)
    if row is None:
        raise NotFound(f"该事项不存在或已删除 / task {task_id} does not exist")
    return row


def may_work(session: Session, row: HumanTask, username: str | None, groups: set[str] | None = None) -> bool:
    """Assignee, or (unassigned) a candidate user or member of a candidate group; admins always."""
    if not username:
        return False
    if row.assignee:
        return row.assignee == username or is_admin(session, username)
    if groups is None:
        # A named candidate needs no group lookup; only then ask the database for memberships.
        if any(cand.kind == "user" and cand.value == username for cand in row.candidates):
            return True
        groups = group_codes(session, username)
    for cand in row.candidates:
        if (cand.kind == "user" and cand.value == username) or (cand.kind == "group" and cand.value in groups):
            return True
    return is_admin(session, username)


def _is_candidate(session: Session, row: HumanTask, username: str | None) -> bool:
    """Whether the user could work the task if nobody had claimed it."""
    if not username:
        return False
    groups = group_codes(session, username)
    return any((c.kind == "user" and c.value == username) or (c.kind == "group" and c.value in groups)
               for c in row.candidates)


_MINE = aliased(HumanTask, name="mine")  # built once: an alias's adapted columns are memoized on it


def visible_filter(username: str, groups: set[str]) -> Any:
    """SQL condition for open tasks a user may work (used by lists and inboxes).

    The ids come from two index lookups (the user's own open tasks, the live candidate rows of the
    user and their groups), so the cost follows the size of the inbox, not of all open work."""
    return _visible(username, sorted(groups) or [""])


def visible_filter_bound(prefix: str) -> Any:
    """visible_filter with bind parameters instead of values, for statements built once and run many
    times: `<prefix>user` (the user name) and `<prefix>groups` (their group codes, a list)."""
    return _visible(bindparam(prefix + "user"), bindparam(prefix + "groups", expanding=True))


def _visible(user: Any, groups: Any) -> Any:
    mine = _MINE
    own = select(mine.id).where(mine.status == OPEN, mine.assignee == user)
    # Only the live candidate rows (`open`): a group's history grows for years, its inbox does not.
    offered = select(TaskCandidate.task_id).where(TaskCandidate.open.is_(True), or_(
        and_(TaskCandidate.kind == "user", TaskCandidate.value == user),
        and_(TaskCandidate.kind == "group", TaskCandidate.value.in_(groups))))
    return and_(HumanTask.id.in_(union_all(own, offered)),
                or_(HumanTask.assignee == user, HumanTask.assignee.is_(None)))


def visible_params(prefix: str, username: str, groups: set[str] | frozenset[str]) -> dict[str, Any]:
    """The values for visible_filter_bound(prefix)."""
    return {prefix + "user": username, prefix + "groups": sorted(groups) or [""]}


def list_open(session: Session, username: str | None = None, limit: int = 500) -> list[HumanTask]:
    """Open tasks a user may work, oldest first; all open tasks when no user is given."""
    query = select(HumanTask).join(Instance, Instance.id == HumanTask.instance_id).where(
        HumanTask.status == OPEN, Instance.status == instances.RUNNING)
    if username is not None:
        if not is_admin(session, username):
            query = query.where(visible_filter(username, group_codes(session, username)))
    return list(session.scalars(query.order_by(HumanTask.created_at, HumanTask.id).limit(limit)))


def works_as(session: Session, row: HumanTask, actor: str | None, now: datetime) -> tuple[bool, str | None]:
    """Whether `actor` may work the open task, and on whose behalf when only as an authorised deputy."""
    if row.status != OPEN or not actor:
        return False, None
    if may_work(session, row, actor):
        return True, None
    principal = access.acting_for(session, row, actor, now, may_work)
    return principal is not None, principal


def _open_row(session: Session, task_id: str, actor: str | None) -> HumanTask:
    return _open_row_for(session, task_id, actor, None)[0]


def _open_row_for(session: Session, task_id: str, actor: str | None,
                  now: datetime | None) -> tuple[HumanTask, str | None]:
    """The open task and, when the actor works it as someone's authorised deputy, that person."""
    row = get(session, task_id)
    if row.status != OPEN:
        who = f" by {row.completed_by}" if row.completed_by else ""
        by = f"，由{called(session, row.completed_by)}" if row.completed_by else ""
        raise Conflict(f"此件（{row.name}）已{_DONE_ZH.get(row.status, '办结')}{by}，不能再办理 / "
                       f"task {task_id} is no longer open: it was {row.status}{who}")
    if may_work(session, row, actor):
        return row, None
    principal = access.acting_for(session, row, actor, now, may_work) if now is not None else None
    if principal is None:
        if row.claimed_at is not None and row.assignee != actor and _is_candidate(session, row, actor):
            raise Conflict(f"此件（{row.name}）已被{called(session, row.assignee)}签收 / "
                           f"task {task_id} ({row.name}) was claimed by {row.assignee} first")
        raise Forbidden(f"您不是此件（{row.name}）的办理人或候选人，不能办理 / {actor or 'anonymous'} may not work "
                        f"task {task_id} ({row.name}); it belongs to its assignee or candidates")
    return row, principal


def claim(session: Session, actor: str, now: datetime, task_id: str) -> HumanTask:
    """Take an unassigned task; a concurrent claim by someone else gets a conflict."""
    row, principal = _open_row_for(session, task_id, actor, now)
    instances.require_running(instances.get(session, row.instance_id))
    if row.assignee == actor or (principal and row.assignee == principal):
        return row
    result = session.execute(update(HumanTask).where(
        HumanTask.id == task_id, HumanTask.status == OPEN, HumanTask.assignee.is_(None))
        .values(assignee=actor, claimed_at=to_db(now)).execution_options(synchronize_session=False))
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict(f"此件（{row.name}）已被他人先签收 / task {task_id} was claimed by someone else first")
    session.refresh(row)
    audit.record(session, "claim", actor, now, instance_id=row.instance_id, task_id=row.id,
                 element_id=row.element_id, detail={"on_behalf_of": principal} if principal else None)
    return row


def release(session: Session, actor: str, now: datetime, task_id: str) -> HumanTask:
    """Give a claimed task back to its candidates."""
    row = _open_row(session, task_id, actor)
    if row.claimed_at is None:
        raise Conflict(f"此件（{row.name}）由流程指定给您，不能取消签收；如需他人办理请转办 / "
                       f"task {task_id} was assigned by the process, not claimed; transfer it instead")
    row.assignee, row.claimed_at = None, None
    audit.record(session, "release", actor, now, instance_id=row.instance_id, task_id=row.id,
                 element_id=row.element_id)
    session.flush()
    return row


def complete(session: Session, actor: str, now: datetime, task_id: str,
             data: dict[str, Any] | None = None, opinion: str | None = None) -> HumanTask:
    """Complete a task with form data and an opinion; the instance advances in the same transaction.
    Another step of the same case committed meanwhile makes this one run again on the new state; only
    the task itself being done, claimed or ended meanwhile is a Conflict."""
    data = instances.check_data(data)
    preloaded = _preload(session, task_id)  # noqa: F841 -- holds the rows: the identity map is weak
    instance_id = get(session, task_id).instance_id
    return step_retry.run_step(session, instance_id, lambda: _complete(session, actor, now, task_id, data, opinion))


def _complete(session: Session, actor: str, now: datetime, task_id: str, data: dict[str, Any],
              opinion: str | None) -> HumanTask:
    row, principal = _open_row_for(session, task_id, actor, now)
    delegation = (row.properties or {}).get("delegation")
    if delegation and delegation.get("delegate") == actor:
        raise Conflict(f"此件是委派给您的：请写明意见后交回，由{called(session, delegation.get('owner'))}办理 / "
                       "this task was delegated to you: hand it back with your opinion; "
                       f"{delegation.get('owner')} completes it")
    unclaimed = row.assignee is None
    inst = instances.get(session, row.instance_id)
    instances.require_running(inst)
    with instances.operate(session, inst, now) as loaded:
        before = dict(runtime.find_task(loaded.wf, task_id).data)
        record = {"by": actor, "opinion": opinion or "", **({"on_behalf_of": principal} if principal else {})}
        runtime.complete_task(loaded.wf, task_id, data, record=record)
        audit.record(session, "complete", actor, now, instance_id=inst.id, task_id=task_id,
                     element_id=row.element_id, opinion=opinion or None, changes=audit.diff(before, data),
                     detail={"name": row.name, **({"on_behalf_of": principal} if principal else {})})
        _retitle(inst, before, data)
        instances.save(session, loaded, now, done={task_id: actor})
    if unclaimed:
        _still_unclaimed(session, row)
    return row


def _retitle(inst: Instance, before: dict[str, Any], data: dict[str, Any]) -> None:
    """A case named after its form's title follows the title when a step corrects it (a draft sent back
    and retitled is found under its new name); a case named otherwise (a letter's code) keeps its name."""
    new = str(data.get("title") or "").strip()
    if new and before.get("title") == inst.title and new != inst.title:
        inst.title = new[:500]


_DONE_ZH = {"completed": "办结", "cancelled": "取消"}

_UNCLAIMED = (update(HumanTask).where(HumanTask.id == bindparam("u_id"), HumanTask.assignee.is_(None))
              .values(assignee=None))


def _still_unclaimed(session: Session, row: HumanTask) -> None:
    """A claim does not touch the instance, so its optimistic lock cannot see one committed after this
    transaction read the task: check the stored row (already locked by this step's write, so the
    instance-then-task lock order of every step is kept)."""
    result = session.connection().execute(_UNCLAIMED, {"u_id": row.id})
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict(f"此件（{row.name}）已被他人先签收 / task {row.id} ({row.name}) was claimed by someone else first")


_PRELOAD = (select(HumanTask, Instance).join(Instance, Instance.id == HumanTask.instance_id)
            .where(HumanTask.id == bindparam("p_task"))
            # The state is read only when the workflow cache misses (a deferred column loads on access).
            .options(joinedload(HumanTask.candidates), defer(Instance.state)))


def _preload(session: Session, task_id: str) -> list[Any]:
    """One round trip puts the task, its candidates and its instance in the session's identity map,
    so the checks that follow (session.get) need no further SQL; the caller keeps the result alive."""
    return list(session.execute(_PRELOAD, {"p_task": task_id}).unique().all())


_OPEN_IDS = (select(HumanTask.id, HumanTask.element_id)
             .where(HumanTask.instance_id == bindparam("i_id"), HumanTask.status == OPEN)
             .order_by(HumanTask.created_at, HumanTask.id))


def open_task_ids(session: Session, instance_id: int) -> list[tuple[str, str]]:
    """(task id, element id) of an instance's open tasks, oldest first: what a client needs to go on
    working a case it has just advanced, for a fraction of loading the rows."""
    rows = session.connection().execute(_OPEN_IDS, {"i_id": instance_id})
    return [(task_id, element_id) for task_id, element_id in rows]


def open_for_instance(session: Session, instance_id: int) -> list[HumanTask]:
    # joinedload: the rows and their candidates (views list them) in one round trip instead of two.
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                        HumanTask.status == OPEN)
                                .options(joinedload(HumanTask.candidates))
                                .order_by(HumanTask.created_at)).unique())
