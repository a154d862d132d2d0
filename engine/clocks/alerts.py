"""Warning levels of clocks (黄牌/红牌): who is told, what they read, and what an expired limit does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from engine.clocks import links
from engine.clocks import schedule as sched
from engine.clocks.models import Clock, ClockPolicy
from engine.core import audit
from engine.core.clock import CHINA_TZ, as_utc, to_db
from engine.core.events import CLOCK_OVERDUE, CLOCK_WARNED, Event, emit_all, moment
from engine.org import notify
from engine.org.directory import department_heads, find_user, names_of
from engine.org.models import User

_TITLES = {sched.YELLOW: "【黄牌预警】", sched.RED: "【红牌超期】"}


class ClockFacts(Protocol):
    """What a warning message reads: a Clock, or a row snapshot the scheduler checks in bulk."""

    @property
    def id(self) -> int: ...
    @property
    def instance_id(self) -> int | None: ...
    @property
    def task_id(self) -> str | None: ...
    @property
    def element_id(self) -> str | None: ...
    @property
    def unit(self) -> str: ...
    @property
    def limit_days(self) -> int: ...
    @property
    def extended_days(self) -> int: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def provisional(self) -> bool: ...
    @property
    def responsible(self) -> str | None: ...
    @property
    def department_code(self) -> str | None: ...
    @property
    def legal_basis(self) -> str: ...


def apply_level(session: Session, actor: str | None, now: datetime, clock: Clock, policy: ClockPolicy,
                level: str) -> bool:
    """Set level and status; escalations notify the responsible person and their supervisor."""
    old = clock.warning_level or sched.NONE
    clock.status = sched.STATUS_OF_LEVEL[level]
    if level == old:
        return False
    clock.warning_level = level
    recipients = _recipients(session, clock) if sched.RANK[level] > sched.RANK[old] else []
    audit.record(session, "clock_level", actor, now, instance_id=clock.instance_id, task_id=clock.task_id,
                 element_id=clock.element_id,
                 detail={"clock_id": clock.id, "policy": clock.policy_code, "from": old, "to": level,
                         "notified": [user.username for user in recipients]})
    if sched.RANK[level] > sched.RANK[old]:
        emit_all(session, now, [level_event(clock, level)])
    if recipients:
        subject, body = _message(session, clock, policy, level, _names(session, [clock]))
        for user in recipients:
            notify.notify_user(session, now, user, subject, body, kind=f"clock_{level}",
                               instance_id=clock.instance_id, clock_id=clock.id)
    return True


def level_event(clock: ClockFacts, level: str) -> Event:
    """黄牌 is clock.warned, 红牌 clock.overdue."""
    return Event(CLOCK_OVERDUE if level == sched.RED else CLOCK_WARNED, {
        "clock_id": clock.id, "instance_id": clock.instance_id, "task_id": clock.task_id,
        "element_id": clock.element_id, "level": level, "legal_basis": clock.legal_basis,
        "due_at": moment(clock.due_at), "responsible": clock.responsible,
        "department": clock.department_code})


def _recipients(session: Session, clock: Clock) -> list[User]:
    """The responsible person and, when set, their supervisor (no one twice); for a step nobody holds,
    the heads of its department."""
    _follow_task(session, clock)
    person = find_user(session, clock.responsible) if clock.responsible else None
    if person is None:
        return _answering(session, clock) if not clock.responsible else []
    found = [person]
    if person.supervisor_id is not None:
        boss = session.get(User, person.supervisor_id)
        if boss is not None and boss.id != person.id and boss.active:
            found.append(boss)
    return found


def _answering(session: Session, clock: Any) -> list[User]:
    """Who answers for a clock nobody is responsible for: its department's heads, else whoever holds the
    case's open steps (a letter from the portal has neither a starter nor a department)."""
    heads = department_heads(session, clock.department_code)
    if heads or not clock.instance_id:
        return heads
    names = links.cases().case_holders(session, {clock.instance_id}).get(clock.instance_id, [])
    return [u for u in (find_user(session, name) for name in names) if u is not None and u.active]


def _follow_task(session: Session, clock: Clock) -> None:
    """A step clock's responsible person is whoever holds the task now (claimed, transferred, delegated)."""
    if not clock.task_id:
        return
    holder = links.cases().holder(session, clock.task_id)
    if holder and holder != clock.responsible:
        clock.responsible = holder


def _local(moment: datetime) -> str:
    return as_utc(moment).astimezone(CHINA_TZ).strftime("%Y年%m月%d日 %H:%M")


def _message(session: Session, clock: Clock, policy: ClockPolicy, level: str,
             names: Mapping[str, str]) -> tuple[str, str]:
    title = links.cases().title(session, clock.instance_id) if clock.instance_id else None
    return compose_message(clock, policy, level, title, names)


def _names(session: Session, clocks: Sequence[Any]) -> dict[str, str]:
    """The people and departments the clocks' messages name, by the names readers know."""
    names = names_of(session, {c.responsible for c in clocks if c.responsible},
                     {c.department_code for c in clocks if c.department_code})
    steps = links.cases().step_names(session, {c.task_id for c in clocks if c.task_id})
    names.update({f"step:{task_id}": name for task_id, name in steps.items()})
    return names


def compose_message(clock: ClockFacts, policy: ClockPolicy, level: str, case_title: str | None,
                    names: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Chinese subject and body; the body repeats the legal basis so the reader knows why it matters.
    `case_title` is the title of the clock's instance, None when it has none; `names` (names_of) turns
    login names and department codes into what people read."""
    names = names or {}
    case = case_title if case_title is not None else f"督办事项 {clock.id}"
    state = "已超过办理时限" if level == sched.RED else "剩余办理时间不多"
    unit = "个工作日" if clock.unit == "wd" else "日"
    lines = [
        f"{case}：{policy.name}{state}。",
        f"办理时限：{clock.limit_days}{unit}" + (f"（已延长{clock.extended_days}{unit}）" if clock.extended_days else ""),
        f"开始时间：{_local(clock.started_at)}",
        f"到期时间：{sched.last_day(clock.due_at):%Y年%m月%d日}24时" + (
            "（该年度法定节假日尚未公布，暂按周末推算）" if clock.provisional else ""),
        f"责任人：{names.get(clock.responsible, clock.responsible) if clock.responsible else '未指定（已告知部门负责人）'}"
        f"　部门：{names.get(f'dept:{clock.department_code}', clock.department_code) if clock.department_code else '未指定'}",
        f"依据：{clock.legal_basis}",
    ]
    if case_title is not None:
        step = names.get(f"step:{clock.task_id}", clock.element_id) if clock.task_id else None
        lines.append(f"案件编号：{clock.instance_id}" + (f"　环节：{step}" if step else ""))
    return f"{_TITLES[level]}{case}：{policy.name}{state}", "\n".join(lines)


def expire(session: Session, now: datetime, clock: Clock, policy: ClockPolicy) -> None:
    """Run a policy's expiry action, e.g. 补正 not noticed in time: deliver 'deemed_accepted' (Art. 32)."""
    message = (policy.on_expiry or {}).get("message")
    delivered, problem = False, None
    if message and clock.instance_id:  # a failed delivery leaves the workflow as it was: a person takes over
        delivered, problem = links.cases().deliver(session, now, clock.instance_id, message)
    elif message:
        problem = "the clock has no case"
    audit.record(session, "clock_expiry", None, now, instance_id=clock.instance_id, task_id=clock.task_id,
                 element_id=clock.element_id,
                 detail={"clock_id": clock.id, "policy": clock.policy_code, "message": message,
                         "delivered": delivered, "problem": problem, "due_at": clock.due_at.isoformat()})


@dataclass(frozen=True)
class _Person:
    username: str
    email: str | None
    boss: tuple[str, str | None] | None  # the active supervisor's username and e-mail


def apply_levels(session: Session, now: datetime,
                 checks: Sequence[tuple[Any, ClockPolicy, str]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """apply_level for many clocks at once: the same changes to each (clock, policy, level), with the
    task holders, people and case titles read in one query each. Returns the audit_event and notification
    rows to insert, in the order apply_level would have added them clock after clock."""
    changes = []
    for clock, policy, level in checks:
        old = clock.warning_level or sched.NONE
        clock.status = sched.STATUS_OF_LEVEL[level]
        if level == old:
            continue
        clock.warning_level = level
        changes.append((clock, policy, level, old, sched.RANK[level] > sched.RANK[old]))
    escalating = [clock for clock, _, _, _, up in changes if up]
    emit_all(session, now, [level_event(clock, level) for clock, _, level, _, up in changes if up])
    _follow_tasks(session, escalating)
    people = _people(session, {clock.responsible for clock in escalating if clock.responsible})
    titles = _titles(session, {clock.instance_id for clock in escalating if clock.instance_id})
    names = _names(session, escalating)
    heads: dict[tuple[str | None, int | None], list[tuple[str, str | None]]] = {}
    events: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for clock, policy, level, old, up in changes:
        person = people.get(clock.responsible) if up and clock.responsible else None
        recipients = [] if person is None else [(person.username, person.email)] + (
            [person.boss] if person.boss is not None else [])
        if up and not clock.responsible:  # nobody holds the step: its department's heads, else the case's holders
            key = (clock.department_code, clock.instance_id)
            if key not in heads:
                heads[key] = [(u.username, u.email) for u in _answering(session, clock)]
            recipients = heads[key]
        events.append(dict(instance_id=clock.instance_id, task_id=clock.task_id, element_id=clock.element_id,
                           actor=None, action="clock_level", at=to_db(now), opinion=None, changes={},
                           detail={"clock_id": clock.id, "policy": clock.policy_code, "from": old, "to": level,
                                   "notified": [username for username, _ in recipients]}))
        if recipients:
            subject, body = compose_message(clock, policy, level,
                                            titles.get(clock.instance_id) if clock.instance_id else None, names)
            for username, email in recipients:
                notes += notify.notify_rows(now, username, email, subject, body, kind=f"clock_{level}",
                                            instance_id=clock.instance_id, clock_id=clock.id)
    return events, notes


def _follow_tasks(session: Session, clocks: Sequence[Any]) -> None:
    """_follow_task for many clocks with one query."""
    ids = {clock.task_id for clock in clocks if clock.task_id}
    if not ids:
        return
    holders = links.cases().holders(session, ids)
    for clock in clocks:
        holder = holders.get(clock.task_id) if clock.task_id else None
        if holder and holder != clock.responsible:
            clock.responsible = holder


def _people(session: Session, usernames: set[str]) -> dict[str, _Person]:
    """_recipients' people for many usernames with one query (the supervisor joined in)."""
    if not usernames:
        return {}
    boss = aliased(User)
    rows = session.execute(select(User.id, User.username, User.email, User.supervisor_id, boss.id, boss.username,
                                  boss.email, boss.active)
                           .outerjoin(boss, boss.id == User.supervisor_id).where(User.username.in_(usernames)))
    found = {}
    for user_id, username, email, supervisor_id, boss_id, boss_name, boss_email, boss_active in rows:
        keep = supervisor_id is not None and boss_id is not None and boss_id != user_id and boss_active
        found[username] = _Person(username, email, (boss_name, boss_email) if keep else None)
    return found


def _titles(session: Session, instance_ids: set[int]) -> dict[int, str]:
    if not instance_ids:
        return {}
    return links.cases().titles(session, instance_ids)
