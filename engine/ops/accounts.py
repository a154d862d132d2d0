"""Administration services: people and their groups, read lists for the admin pages. Every change is audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.clocks.models import Clock
from engine.core import audit
from engine.core.errors import Forbidden, InvalidInput
from engine.core.models import AuditEvent
from engine.flow.models import CarbonCopy, HumanTask, Instance, TaskCandidate
from engine.org import directory
from engine.org.models import Department, Deputyship, Group, Membership, Notification, User

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
# Where a user name stays on record, cheapest (indexed) lookups first, the unindexed trail last. An account
# found in any of these is disabled, never deleted: the trail (审阅留痕) must not name someone who no longer
# exists, nor a later account that reuses the name.
TRACES: tuple[tuple[str, Any, Any], ...] = (
    ("发起的案件 / cases started", Instance.started_by, None),
    ("办结的环节 / tasks done", HumanTask.completed_by, None),
    ("手中的环节 / tasks held", HumanTask.assignee, HumanTask.status == "open"),
    ("候选办理人 / task candidate", TaskCandidate.value, TaskCandidate.kind == "user"),
    ("抄送 / copies", CarbonCopy.recipient, None),
    ("授权代理 / deputyships", Deputyship.principal, None), ("授权代理 / deputyships", Deputyship.deputy, None),
    ("计时责任 / clocks", Clock.responsible, None),
    ("审阅留痕 / trail", AuditEvent.actor, None),
)


@dataclass
class Person:
    user: User
    department: str | None
    groups: list[str]


def _require_admin(session: Session, actor: str) -> None:
    if not directory.is_admin(session, actor):
        raise Forbidden(f"只有管理员可以修改账号 / only an administrator may change accounts ({actor} is not one)")


def _groups(raw: list[str] | str) -> list[str]:
    items = raw.replace("，", ",").split(",") if isinstance(raw, str) else raw
    codes = sorted({item.strip() for item in items if item and item.strip()})
    for code in codes:
        if any(ch.isspace() for ch in code) or len(code) > 128:
            raise InvalidInput(f"组代码「{code}」不能含空格且不超过 128 个字符 / group codes have no spaces",
                               field="groups")
    return codes


def _checked(display_name: str, email: str | None, password: str | None) -> tuple[str, str | None]:
    name = (display_name or "").strip()
    if len(name) > 200:
        raise InvalidInput("姓名最多 200 个字 / the display name is at most 200 characters", field="display_name")
    mail = (email or "").strip() or None
    if mail and not EMAIL.match(mail):
        raise InvalidInput("邮箱格式不正确 / not an e-mail address", field="email")
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 位 / a password has at least {MIN_PASSWORD} characters",
                           field="password")
    return name, mail


def _department(session: Session, code: str | None) -> Department | None:
    if not code:
        return None
    dept = session.scalar(select(Department).where(Department.code == code))
    if dept is None:
        raise InvalidInput(f"没有代码为「{code}」的部门 / no department '{code}'", field="department")
    return dept


def create(session: Session, actor: str, now: datetime, username: str, *, display_name: str = "",
           department: str | None = None, groups: list[str] | str = "", email: str | None = None,
           password: str | None = None) -> User:
    """A new account; the department must exist, groups are created on first mention."""
    _require_admin(session, actor)
    username = directory.check_username(username)
    if directory.find_user(session, username) is not None:
        raise InvalidInput(f"用户名「{username}」已被使用 / the user name '{username}' is taken", field="username")
    name, mail = _checked(display_name, email, password or None)
    dept = _department(session, department)
    user = directory.create_user(session, username, password=password or None, groups=_groups(groups),
                                 department=dept.code if dept else None, display_name=name or None, email=mail)
    audit.record(session, "user_created", actor, now, detail={"user": user.username, "groups": _groups(groups),
                                                              "department": department})
    return user


def update(session: Session, actor: str, now: datetime, username: str, *, display_name: str,
           department: str | None, groups: list[str] | str, email: str | None, active: bool,
           password: str | None = None) -> User:
    """Change an account; an administrator cannot lock themselves out (drop admin or disable themselves)."""
    _require_admin(session, actor)
    user = directory.get_user(session, username)
    name, mail = _checked(display_name, email, password or None)
    codes = _groups(groups)
    if username == actor and ("admin" not in codes or not active):
        raise InvalidInput("不能取消自己的管理员身份或停用自己 / you cannot remove your own admin rights",
                           field="groups")
    dept = _department(session, department)
    before = {"groups": people_groups(session, [user.id]).get(user.id, []), "active": user.active,
              "department": user.department.code if user.department else None}
    if password or (user.active and not active):  # a new password or a disabled account signs out everywhere
        directory.end_sessions(user)
    user.display_name, user.email, user.active = name or user.username, mail, active
    user.department_id = dept.id if dept else None
    if password:
        user.password_hash = directory.hash_password(password)
    # Only what was assigned here is replaced: groups and roles from the directory stay the sync's.
    session.execute(delete(Membership).where(Membership.user_id == user.id, Membership.source == "local"))
    session.info.pop("govflow_group_codes", None)
    for code in codes:
        directory.add_to_group(session, user, code)
    session.flush()
    audit.record(session, "user_updated", actor, now, detail={
        "user": username, "before": before, "groups": codes, "active": active,
        "department": department, "password_reset": bool(password)})
    return user


def sign_out_everywhere(session: Session, actor: str, now: datetime, username: str) -> User:
    """An administrator ends every session of an account (a lost phone, a shared password)."""
    _require_admin(session, actor)
    user = directory.get_user(session, username)
    directory.end_sessions(user)
    session.flush()
    audit.record(session, "user_signed_out", actor, now, detail={"user": username})
    return user


def people_groups(session: Session, user_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    query = (select(Membership.user_id, Group.code).join(Group, Group.id == Membership.group_id)
             .where(Membership.user_id.in_(user_ids or [-1])).order_by(Group.code))
    for user_id, code in session.execute(query):
        found.setdefault(user_id, []).append(code)
    return found


def people(session: Session, text: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Person], int]:
    """Accounts by user name, filtered by name or display name, with department and groups."""
    query = select(User).order_by(User.username)
    if text and text.strip():
        needle = f"%{text.strip()}%"
        query = query.where(User.username.ilike(needle) | User.display_name.ilike(needle))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    users = list(session.scalars(query.offset(offset).limit(limit)))
    groups = people_groups(session, [u.id for u in users])
    return [Person(u, u.department.code if u.department else None, groups.get(u.id, [])) for u in users], total


def outbox(session: Session, channel: str | None = None, recipient: str | None = None, limit: int = 50,
           offset: int = 0) -> tuple[list[Notification], int]:
    """Notifications newest first (the operator reads SMS codes here in the demo)."""
    query = select(Notification)
    if channel:
        query = query.where(Notification.channel == channel)
    if recipient and recipient.strip():
        query = query.where(Notification.recipient.ilike(f"%{recipient.strip()}%"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(Notification.id.desc()).offset(offset).limit(limit)))
    return rows, total


def first_trace(session: Session, user: User) -> str | None:
    """The first record found that names the account (None for an account nobody has used yet)."""
    if session.scalar(select(User.id).where(User.supervisor_id == user.id).limit(1)) is not None:
        return "下属的上级 / supervisor of others"
    for label, column, condition in TRACES:
        query = select(column).where(column == user.username)
        if condition is not None:
            query = query.where(condition)
        if session.scalar(query.limit(1)) is not None:
            return label
    return None


def remove(session: Session, actor: str, now: datetime, username: str) -> None:
    """Delete an account created by mistake; one that has left any trace can only be disabled."""
    _require_admin(session, actor)
    user = directory.get_user(session, username)
    if username == actor:
        raise InvalidInput("不能删除自己的账号 / you cannot delete your own account", field="delete")
    found = first_trace(session, user)
    if found:
        raise InvalidInput(f"该账号已有记录（{found}），只能停用 / the account is on record ({found}) "
                           "and can only be disabled", field="delete")
    session.execute(delete(Membership).where(Membership.user_id == user.id))
    session.delete(user)
    session.info.pop("govflow_group_codes", None)
    session.flush()
    audit.record(session, "user_deleted", actor, now, detail={"user": username})
