"""What a directory snapshot changes here (the plan a dry run prints) and applying it in batches.

Everything is found by the directory's stable key, so a run interrupted after any batch is finished by
running again: the plan of the second run holds only what the first did not reach. Units are applied
parents first, then people, then groups with their members, then the role mappings. What a move or a
leaver means for open work is the caller's (engine.ops.directory_sync), through the hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select
from sqlalchemy.orm import Session

from engine.core import audit
from engine.org import roles
from engine.org.directory import end_sessions
from engine.org.ldap_source import DirGroup, Person, Snapshot, Unit
from engine.org.models import Department, Group, Membership, User

ACTIONS = ("added", "changed", "moved", "disabled", "enabled")
PRESENT, DISABLED, REMOVED = "present", "disabled", "removed"


@dataclass
class Change:
    kind: str  # unit person group
    action: str  # one of ACTIONS
    key: str
    label: str
    details: list[str] = field(default_factory=list)
    record: Unit | Person | DirGroup | None = None  # None: a person no longer in the directory


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def count(self, kind: str, action: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind and c.action == action)

    def summary(self) -> dict[str, dict[str, int]]:
        return {kind: {a: self.count(kind, a) for a in ACTIONS if self.count(kind, a)}
                for kind in ("unit", "person", "group")}


@dataclass
class Hooks:
    """What the layer above does in the same batch: a moved person's open work follows the step's rules."""

    moved: Callable[[User, Department | None], None] = lambda user, old: None
    disabled: Callable[[User], None] = lambda user: None


@dataclass
class _State:
    """The organisation as it is here, loaded once for the whole plan."""

    depts: dict[str, Department]
    dept_codes: dict[str, Department]
    users: dict[str, User]
    logins: dict[str, User]
    groups: dict[str, Group]
    group_codes: dict[str, Group]
    members: dict[int, set[str]]  # group id -> directory keys of its directory members


def _load(session: Session) -> _State:
    depts = list(session.scalars(select(Department)))
    users = list(session.scalars(select(User)))
    groups = list(session.scalars(select(Group)))
    members: dict[int, set[str]] = {}
    for group_id, key in session.execute(
            select(Membership.group_id, User.directory_key).join(User, User.id == Membership.user_id)
            .where(Membership.source == "directory")):
        if key:
            members.setdefault(group_id, set()).add(key)
    return _State({d.directory_key: d for d in depts if d.directory_key}, {d.code: d for d in depts},
                  {u.directory_key: u for u in users if u.directory_key}, {u.username: u for u in users},
                  {g.directory_key: g for g in groups if g.directory_key}, {g.code: g for g in groups}, members)


def plan(session: Session, snap: Snapshot) -> Plan:
    """The differences between the directory and here, without changing anything."""
    state, result = _load(session), Plan(problems=list(snap.skipped))
    units = _units_in_order(snap.units)
    unit_ok = _plan_units(state, units, result)
    people_ok = _plan_people(state, snap.people, unit_ok, result)
    _plan_groups(session, state, snap.groups, people_ok, unit_ok, result)
    return result


def _units_in_order(units: list[Unit]) -> list[Unit]:
    return sorted(units, key=lambda u: len(u.dn))


def _plan_units(state: _State, units: list[Unit], result: Plan) -> dict[str, Unit]:
    ok: dict[str, Unit] = {}
    codes: dict[str, Unit] = {}
    for unit in units:
        if unit.code in codes:
            result.problems.append(f"部门代码「{unit.code}」在目录中出现两次，后一个未同步（可设置 unit_code 属性）/ unit "
                                   f"code '{unit.code}' appears twice in the directory; the second was not synced")
            continue
        codes[unit.code] = unit
        dept = state.depts.get(unit.key) or _free(state.dept_codes.get(unit.code))
        if dept is None and unit.code in state.dept_codes:
            result.problems.append(f"部门代码「{unit.code}」已属于另一个目录单位 / department code '{unit.code}' "
                                   "already belongs to another directory unit")
            continue
        ok[unit.key] = unit
        parent = ok.get(unit.parent_key or "")
        label = f"{unit.name} ({unit.code})"
        if dept is None:
            result.changes.append(Change("unit", "added", unit.key, label, [], unit))
            continue
        details = []
        if dept.name != unit.name:
            details.append(f"名称 {dept.name} → {unit.name}")
        if dept.code != unit.code:
            details.append(f"代码 {dept.code} → {unit.code}")
        if not dept.directory_key:
            details.append("关联已有部门 / linked")
        old_parent = dept.parent.code if dept.parent else None
        new_parent = parent.code if parent else None
        if old_parent != new_parent:
            result.changes.append(Change("unit", "moved", unit.key, label,
                                         [f"上级 {old_parent or '—'} → {new_parent or '—'}", *details], unit))
        elif details:
            result.changes.append(Change("unit", "changed", unit.key, label, details, unit))
    return ok


def _free(row: Any) -> Any:
    """A row typed in here (no directory key) that a directory entry of the same code may take over;
    for a group also one known so far only from the identity provider's groups claim."""
    if row is None or (row.directory_key and not row.directory_key.startswith(roles.IDP_KEY)):
        return None
    return row


def _plan_people(state: _State, people: list[Person], units: dict[str, Unit], result: Plan) -> dict[str, Person]:
    ok: dict[str, Person] = {}
    for person in people:
        user = state.users.get(person.key) or _free(state.logins.get(person.login))
        if user is None and person.login in state.logins:
            result.problems.append(f"用户名「{person.login}」已属于另一个目录人员 / the user name '{person.login}' "
                                   "already belongs to another directory person")
            continue
        if user is not None and user.username != person.login and person.login in state.logins:
            result.problems.append(f"用户名「{person.login}」已被占用，{user.username} 未改名 / the user name "
                                   f"'{person.login}' is taken; {user.username} keeps its name")
        label = f"{person.name} ({person.login})"
        unit = units.get(person.unit_key or "")
        if user is None:
            if not person.disabled:  # someone disabled before we ever saw them is not brought in
                ok[person.key] = person
                result.changes.append(Change("person", "added", person.key, label,
                                             [f"部门 {unit.code}" if unit else "无部门"], person))
            continue
        ok[person.key] = person
        details = _person_details(user, person)
        old_unit = user.department.code if user.department else None
        new_unit = unit.code if unit else None
        if old_unit != new_unit:
            details.insert(0, f"部门 {old_unit or '—'} → {new_unit or '—'}")
        if person.disabled and user.active:
            action = "disabled"
        elif not person.disabled and not user.active and user.directory_status in (DISABLED, REMOVED):
            action = "enabled"
        elif old_unit != new_unit:
            action = "moved"
        elif details or user.directory_status != (DISABLED if person.disabled else PRESENT):
            action = "changed"
        else:
            continue
        result.changes.append(Change("person", action, person.key, label, details, person))
    for key, user in state.users.items():
        if key not in ok and user.directory_status != REMOVED:
            result.changes.append(Change("person", "disabled" if user.active else "changed", key,
                                         f"{user.display_name} ({user.username})", ["已从目录中删除 / removed"], None))
    return ok


def _person_details(user: User, person: Person) -> list[str]:
    details = []
    for label, old, new in (("用户名", user.username, person.login), ("姓名", user.display_name, person.name),
                            ("邮箱", user.email, person.mail), ("手机", user.mobile, person.mobile)):
        if (old or None) != (new or None):
            details.append(f"{label} {old or '—'} → {new or '—'}")
    if not user.directory_key:
        details.append("关联已有账号 / linked")
    return details


def _plan_groups(session: Session, state: _State, groups: list[DirGroup], people: dict[str, Person],
                 units: dict[str, Unit], result: Plan) -> None:
    seen: set[str] = set()
    for dgroup in groups:
        group = state.groups.get(dgroup.key)
        if group is None and dgroup.code in state.group_codes:
            local = state.group_codes[dgroup.code]
            if _free(local) is None or not local.directory_key and session.scalar(select(Membership.user_id)
                                                     .where(Membership.group_id == local.id).limit(1)):
                result.problems.append(
                    f"组代码「{dgroup.code}」已是本系统的组，目录组未同步；请用角色映射授予 / the group code "
                    f"'{dgroup.code}' is already a govflow group; grant it through a role mapping instead")
                continue
            group = local
        if dgroup.code in seen:
            result.problems.append(f"组代码「{dgroup.code}」在目录中出现两次 / group '{dgroup.code}' appears twice")
            continue
        seen.add(dgroup.code)
        wanted = {k for k in dgroup.member_keys if k in people}
        label = f"{dgroup.name} ({dgroup.code})"
        if group is None:
            result.changes.append(Change("group", "added", dgroup.key, label, [f"{len(wanted)} 名成员"], dgroup))
            continue
        have = state.members.get(group.id, set())
        details = [f"名称 {group.name} → {dgroup.name}"] if group.name != dgroup.name else []
        if group.code != dgroup.code:
            details.append(f"代码 {group.code} → {dgroup.code}")
        if wanted - have:
            details.append(f"+{len(wanted - have)} 名成员")
        if have - wanted:
            details.append(f"-{len(have - wanted)} 名成员")
        if details or not group.directory_key:
            result.changes.append(Change("group", "changed", dgroup.key, label, details or ["关联已有组 / linked"],
                                         dgroup))


def apply(session: Session, actor: str | None, now: datetime, the_plan: Plan, *, batch_size: int = 500,
          after_batch: Callable[[int, int], None] | None = None, hooks: Hooks | None = None) -> dict[str, Any]:
    """Apply the plan in batches; `after_batch(done, total)` is where the edge commits and shows progress."""
    hooks = hooks or Hooks()
    changes, total = the_plan.changes, len(the_plan.changes)
    for start in range(0, total, batch_size):
        state = _load(session)
        for change in changes[start:start + batch_size]:
            if change.kind == "unit":
                _apply_unit(session, state, change)
            elif change.kind == "person":
                _apply_person(session, state, change, hooks)
            else:
                _apply_group(session, state, change)
        session.flush()
        session.info.pop("govflow_group_codes", None)
        if start + batch_size >= total:
            roles.refresh(session)
        audit.record(session, "directory_sync_batch", actor, now,
                     detail={"done": min(start + batch_size, total), "total": total})
        if after_batch:
            after_batch(min(start + batch_size, total), total)
    if not total:
        roles.refresh(session)
    summary = the_plan.summary()
    audit.record(session, "directory_synced", actor, now, detail={"summary": summary,
                                                                  "problems": len(the_plan.problems)})
    return summary


def _apply_unit(session: Session, state: _State, change: Change) -> None:
    unit = change.record
    assert isinstance(unit, Unit)
    dept = state.depts.get(unit.key) or _free(state.dept_codes.get(unit.code))
    parent = state.depts.get(unit.parent_key or "")
    if dept is None:
        dept = Department(code=unit.code, name=unit.name, directory_key=unit.key)
        session.add(dept)
    dept.code, dept.name, dept.directory_key = unit.code, unit.name, unit.key
    dept.parent_id = parent.id if parent else None
    session.flush()
    state.depts[unit.key], state.dept_codes[unit.code] = dept, dept


def _apply_person(session: Session, state: _State, change: Change, hooks: Hooks) -> None:
    person = change.record
    if person is None:  # no longer in the directory
        user = state.users[change.key]
        if user.active:
            user.active = False
            end_sessions(user)
            hooks.disabled(user)
        user.directory_status = REMOVED
        return
    assert isinstance(person, Person)
    user = state.users.get(person.key) or _free(state.logins.get(person.login))
    dept = state.depts.get(person.unit_key or "")
    if user is None:
        user = User(username=person.login, directory_key=person.key, active=True, session_generation=0)
        session.add(user)
    old = user.department
    if person.login not in state.logins or state.logins[person.login] is user:
        user.username = person.login
    user.display_name, user.email, user.mobile = person.name, person.mail, person.mobile
    user.directory_key, user.department_id = person.key, dept.id if dept else None
    user.directory_status = DISABLED if person.disabled else PRESENT
    if person.disabled and user.active:
        user.active = False
        end_sessions(user)
        hooks.disabled(user)
    elif not person.disabled and change.action == "enabled":
        user.active = True
    if user.id is not None and (old.id if old else None) != user.department_id:
        session.flush()
        hooks.moved(user, old)
    state.users[person.key], state.logins[user.username] = user, user


def _apply_group(session: Session, state: _State, change: Change) -> None:
    dgroup = change.record
    assert isinstance(dgroup, DirGroup)
    group = state.groups.get(dgroup.key) or _free(state.group_codes.get(dgroup.code))
    if group is None:
        group = Group(code=dgroup.code, name=dgroup.name)
        session.add(group)
    unit = state.depts.get(dgroup.unit_key or "")
    group.code, group.name, group.directory_key = dgroup.code, dgroup.name, dgroup.key
    group.department_id = unit.id if unit else group.department_id
    session.flush()
    wanted = {state.users[k].id for k in dgroup.member_keys if k in state.users}
    have = set(session.scalars(select(Membership.user_id).where(Membership.group_id == group.id)))
    directory_have = set(session.scalars(select(Membership.user_id).where(
        and_(Membership.group_id == group.id, Membership.source == "directory"))))
    gone = directory_have - wanted
    if gone:
        session.execute(delete(Membership).where(Membership.group_id == group.id, Membership.source == "directory",
                                                 Membership.user_id.in_(sorted(gone))))
    new = sorted(wanted - have)
    if new:
        session.execute(insert(Membership), [{"user_id": uid, "group_id": group.id, "source": "directory"}
                                             for uid in new])
    state.groups[dgroup.key], state.group_codes[dgroup.code] = group, group
