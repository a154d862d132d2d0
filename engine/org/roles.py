"""Rights stay ours: a role the processes use (签发领导, 受理审查, supervisor, designer, admin) is held
because an administrator assigned it here, or because the person is in a directory group mapped to it.
Mapped roles are kept as memberships marked 'mapping' (refreshed after every sync and mapping change),
so candidate groups and permission checks read one table and never ask the directory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, aliased

from engine.core import audit
from engine.core.clock import to_db
from engine.core.errors import Forbidden, InvalidInput, NotFound
from engine.org import directory
from engine.org.models import Group, Membership, RoleMapping, User

SOURCES = ("local", "directory", "mapping")
IDP_KEY = "idp:"  # directory_key of a group known only from the identity provider's groups claim


@dataclass(frozen=True)
class Right:
    """One group or role a person holds and where it comes from."""

    code: str
    name: str
    source: str  # local directory mapping
    via: str | None = None  # the directory group of a mapped role


def _require_admin(session: Session, actor: str) -> None:
    if not directory.is_admin(session, actor):
        raise Forbidden(f"只有管理员可以修改角色映射 / only an administrator may change role mappings ({actor})")


def mappings(session: Session) -> list[RoleMapping]:
    return list(session.scalars(select(RoleMapping).order_by(RoleMapping.directory_group, RoleMapping.role)))


def add_mapping(session: Session, actor: str, now: datetime, directory_group: str, role: str) -> RoleMapping:
    """Members of the directory group hold the role from now on (and after every sync)."""
    _require_admin(session, actor)
    dgroup, role = (directory_group or "").strip(), (role or "").strip()
    source = session.scalar(select(Group).where(Group.code == dgroup))
    if not dgroup or source is None or not source.directory_key:
        raise InvalidInput(f"没有代码为「{dgroup}」的目录组；请先同步目录（govflow org sync）/ no directory group "
                           f"'{dgroup}'; sync the directory first", field="directory_group")
    if not role or any(ch.isspace() for ch in role) or len(role) > 128:
        raise InvalidInput("角色代码须为 1-128 个字符且不含空格 / a role code is 1-128 characters without spaces",
                           field="role")
    target = session.scalar(select(Group).where(Group.code == role))
    if target is not None and target.directory_key:
        raise InvalidInput(f"「{role}」本身是目录组，不能作为角色 / '{role}' is a directory group, not a role",
                           field="role")
    if session.scalar(select(RoleMapping).where(RoleMapping.directory_group == dgroup, RoleMapping.role == role)):
        raise InvalidInput(f"目录组「{dgroup}」已映射到「{role}」/ '{dgroup}' is already mapped to '{role}'",
                           field="role")
    directory.ensure_group(session, role)
    row = RoleMapping(directory_group=dgroup, role=role, created_by=actor, created_at=to_db(now))
    session.add(row)
    session.flush()
    refresh(session)
    audit.record(session, "role_mapped", actor, now, detail={"directory_group": dgroup, "role": role})
    return row


def remove_mapping(session: Session, actor: str, now: datetime, mapping_id: int) -> None:
    _require_admin(session, actor)
    row = session.get(RoleMapping, mapping_id)
    if row is None:
        raise NotFound("该角色映射不存在 / no such role mapping")
    detail = {"directory_group": row.directory_group, "role": row.role}
    session.delete(row)
    session.flush()
    refresh(session)
    audit.record(session, "role_unmapped", actor, now, detail=detail)


def refresh(session: Session) -> tuple[int, int]:
    """Make the 'mapping' memberships what the mappings and directory memberships say; (added, removed).
    A role also assigned here stays 'local' (the directory never takes away what was assigned here)."""
    source, role = aliased(Group), aliased(Group)
    wanted: dict[tuple[int, int], str] = {}
    for user_id, role_id, via in session.execute(
            select(Membership.user_id, role.id, RoleMapping.directory_group)
            .join(source, source.id == Membership.group_id)
            .join(RoleMapping, RoleMapping.directory_group == source.code)
            .join(role, role.code == RoleMapping.role)
            .where(Membership.source == "directory").order_by(RoleMapping.directory_group)):
        wanted.setdefault((user_id, role_id), via)
    have = {(u, g): (s, v) for u, g, s, v in session.execute(
        select(Membership.user_id, Membership.group_id, Membership.source, Membership.via))}
    stale = [pair for pair, (src, via) in have.items() if src == "mapping" and wanted.get(pair) != via]
    for user_id, group_id in stale:
        session.execute(delete(Membership).where(Membership.user_id == user_id, Membership.group_id == group_id))
    kept = {pair for pair in have if pair not in set(stale)}
    new = [{"user_id": u, "group_id": g, "source": "mapping", "via": via}
           for (u, g), via in sorted(wanted.items()) if (u, g) not in kept]
    if new:
        session.execute(insert(Membership), new)
    session.info.pop("govflow_group_codes", None)
    session.flush()
    return len(new), len(stale)


def rights(session: Session, username: str) -> list[Right]:
    """Every group and role of a person with its source, for the admin pages."""
    return [Right(code, name or code, src or "local", via) for code, name, src, via in session.execute(
        select(Group.code, Group.name, Membership.source, Membership.via)
        .join(Membership, Membership.group_id == Group.id).join(User, User.id == Membership.user_id)
        .where(User.username == username).order_by(Group.code))]


def role_choices(session: Session) -> list[tuple[str, str]]:
    """Groups that are not from the directory: the roles a mapping may grant."""
    return [(c, n or c) for c, n in session.execute(
        select(Group.code, Group.name).where(Group.directory_key.is_(None)).order_by(Group.code))]


def directory_groups(session: Session) -> list[tuple[str, str]]:
    return [(c, n or c) for c, n in session.execute(
        select(Group.code, Group.name).where(Group.directory_key.is_not(None)).order_by(Group.code))]
