"""电子监察 services: supervision orders (督办单) issued, replied to and closed, and urging by clock.

Plain functions taking session, actor and now; they flush and the edge commits. An order's deadline is a
China date: a rest day moves to the next working day (as statutory limits do), and the order falls
overdue at the end of that day. Whoever is not the addressee, the issuer or a supervisor never learns
that an order exists (NotFound), so pages can answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clocks import lifecycle
from engine.clocks import schedule as sched
from engine.clocks.models import Clock
from engine.core import audit
from engine.core.clock import to_db
from engine.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.flow import instances, task_actions, tasks
from engine.flow.models import Instance
from engine.gov.models import SupervisionOrder
from engine.org import directory, notify
from engine.org.models import User

SUPERVISION_GROUPS = frozenset({"supervisor", "city_leader", "admin"})
OPEN, REPLIED, CLOSED, OVERDUE = "open", "replied", "closed", "overdue"
DEFAULT_DAYS = 5  # working days an order gives when the supervisor picks no date
MAX_DAYS_AHEAD = 366
TEXT_MAX = 4000
HEAD_GROUPS = ("{}_leader", "{}_head")  # who heads a department, in order of preference
_DONE = {REPLIED: "已回复", CLOSED: "已办结"}


def may_supervise(session: Session, username: str | None) -> bool:
    """Supervisors, city leaders and administrators watch every clock and issue orders."""
    return bool(username) and bool(SUPERVISION_GROUPS & directory.member_groups(session, username or ""))


def effective_status(order: SupervisionOrder, now: datetime) -> str:
    """Open past its deadline reads as overdue even before mark_overdue has stored it."""
    if order.status == OPEN and sched.naive(now) >= order.due_at:
        return OVERDUE
    return order.status


def get_order(session: Session, order_id: int) -> SupervisionOrder:
    order = session.get(SupervisionOrder, order_id)
    if order is None:
        raise NotFound(f"督办单 {order_id} 不存在 / supervision order {order_id} does not exist")
    return order


def may_see_order(session: Session, username: str, order: SupervisionOrder) -> bool:
    """The addressee, the issuer and every supervisor may read an order."""
    return username in (order.addressee, order.issued_by) or may_supervise(session, username)


def visible_order(session: Session, username: str, order_id: int) -> SupervisionOrder:
    """The order, or NotFound for anyone who may not read it (no hint that it exists)."""
    order = get_order(session, order_id)
    if not may_see_order(session, username, order):
        raise NotFound(f"督办单 {order_id} 不存在 / supervision order {order_id} does not exist")
    return order


def default_due_date(session: Session, now: datetime, days: int = DEFAULT_DAYS) -> date:
    """The working day `days` working days after today: what the order form proposes."""
    today = sched.china_date(now)
    return lifecycle.calendar(session, now).add_working_days(today, days)[0]


def head_of(session: Session, department: str) -> User:
    """A department's head: the first member of its leader group, else of its head group."""
    code = (department or "").strip()
    for pattern in HEAD_GROUPS if code else ():
        members = [u for u in directory.group_members(session, pattern.format(code)) if u.active]
        if members:
            return members[0]
    raise InvalidInput(f"部门“{code}”没有负责人，请直接指定接收人 / department '{code}' has no head: name the "
                       "addressee instead", field="department")


def _addressee(session: Session, username: str | None, department: str | None) -> tuple[User, str | None]:
    """A named person wins; otherwise the head of the named department."""
    name = (username or "").strip()
    if name:
        user = directory.find_user(session, name)
        if user is None or not user.active:
            raise InvalidInput(f"没有名为“{name}”的用户 / no user named '{name}'", field="addressee")
        return user, None
    if (department or "").strip():
        return head_of(session, str(department)), str(department).strip()
    raise InvalidInput("请指定接收人或接收部门 / name the addressee or their department", field="addressee")


def _text(value: str | None, field: str, zh: str, en: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"请填写{zh} / the {en} is required", field=field)
    if len(text) > TEXT_MAX:
        raise InvalidInput(f"{zh}不能超过 {TEXT_MAX} 字 / the {en} is longer than {TEXT_MAX} characters",
                           field=field)
    return text


def _deadline(session: Session, now: datetime, due_date: date | None) -> tuple[datetime, int]:
    """The expiry instant of the chosen day (moved off rest days) and the working days it gives."""
    if not isinstance(due_date, date):
        raise InvalidInput("请填写办理期限（YYYY-MM-DD） / the due date is required (YYYY-MM-DD)", field="due_date")
    today = sched.china_date(now)
    if due_date <= today:
        raise InvalidInput(f"办理期限应晚于今天（{today}） / the due date must be after today ({today})",
                           field="due_date")
    if due_date > today + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput("办理期限不能超过一年 / the due date must be within a year", field="due_date")
    calendar = lifecycle.calendar(session, now)
    due = calendar.due_at(due_date, 0, "cd")
    return sched.naive(due.due_at), calendar.working_days_between(today, due.date)


def _target(session: Session, clock_id: int | None, instance_id: int | None) -> tuple[Clock | None, Instance]:
    """The clock (when the order starts from one) and the case it belongs to."""
    clock = session.get(Clock, clock_id) if clock_id is not None else None
    if clock_id is not None and clock is None:
        raise NotFound(f"计时 {clock_id} 不存在 / clock {clock_id} does not exist")
    case_id = clock.instance_id if clock is not None else instance_id
    if case_id is None:
        raise InvalidInput("督办单须针对一个案件 / an order needs a case (instance_id)", field="instance_id")
    return clock, instances.get(session, case_id)


def issue_order(session: Session, actor: str, now: datetime, *, demand: str, due_date: date | None,
                clock_id: int | None = None, instance_id: int | None = None, addressee: str | None = None,
                department: str | None = None,
                link: Callable[[int], str] | None = None) -> SupervisionOrder:
    """开具督办单: a written demand with its own deadline; the addressee is told at once (with the page
    `link` gives for the order's id: the engine knows no addresses)."""
    if not may_supervise(session, actor):
        raise Forbidden("只有监察人员或领导可以开具督办单 / only supervisors and leaders may issue a supervision order")
    clock, inst = _target(session, clock_id, instance_id)
    text = _text(demand, "demand", "督办要求", "demand")
    due_at, days = _deadline(session, now, due_date)
    person, dept = _addressee(session, addressee, department)
    if person.username == actor:
        raise InvalidInput("不能向自己开具督办单 / an order cannot be addressed to its issuer", field="addressee")
    order = SupervisionOrder(instance_id=inst.id, clock_id=clock.id if clock else None,
                             task_id=clock.task_id if clock else None, issued_by=actor, issued_at=to_db(now),
                             addressee=person.username, addressee_department=dept, demand=text, due_at=due_at,
                             due_days=days, status=OPEN)
    session.add(order)
    session.flush()
    audit.record(session, "supervision_order", actor, now, instance_id=inst.id, task_id=order.task_id,
                 opinion=text, detail={"order": order.id, "addressee": person.username, "department": dept,
                                       "due_at": due_at.isoformat(), "clock_id": order.clock_id})
    body = [f"案件：#{inst.id} {inst.title}", f"督办要求：{text}", f"办理期限：{sched.last_day(due_at):%Y年%m月%d日}",
            f"督办人：{actor}"] + ([f"查看并回复：{link(order.id)}"] if link else [])
    notify.notify_user(session, now, person, f"【督办单】{inst.title}", "\n".join(body), kind="supervision_order",
                       instance_id=inst.id, clock_id=order.clock_id)
    return order


def reply_order(session: Session, actor: str, now: datetime, order_id: int, reply: str) -> SupervisionOrder:
    """The addressee reports what was done; a late reply is still taken (and shows as late)."""
    order = visible_order(session, actor, order_id)
    if actor != order.addressee:
        raise Forbidden("只有督办单的接收人可以回复 / only the addressee may reply to this order")
    if order.status not in (OPEN, OVERDUE):
        raise Conflict(f"督办单{_DONE.get(order.status, order.status)}，不能再回复 / the order is already {order.status}")
    text = _text(reply, "reply", "办理情况", "reply")
    order.reply, order.replied_by, order.replied_at, order.status = text, actor, to_db(now), REPLIED
    audit.record(session, "supervision_reply", actor, now, instance_id=order.instance_id, task_id=order.task_id,
                 opinion=text, detail={"order": order.id, "late": sched.naive(now) >= order.due_at})
    _tell(session, now, order, order.issued_by, f"【督办回复】督办单 {order.id}", f"{actor} 回复：{text}")
    session.flush()
    return order


def close_order(session: Session, actor: str, now: datetime, order_id: int, note: str = "") -> SupervisionOrder:
    """The issuer (or another supervisor) closes it; closing without a reply needs a reason."""
    order = visible_order(session, actor, order_id)
    if actor != order.issued_by and not may_supervise(session, actor):
        raise Forbidden("只有督办人或监察人员可以办结督办单 / only the issuer or a supervisor may close this order")
    if order.status == CLOSED:
        raise Conflict("督办单已办结 / the order is already closed")
    text = (note or "").strip()[:TEXT_MAX]
    if order.status != REPLIED and not text:
        raise InvalidInput("尚未回复的督办单办结时须说明理由 / closing an order without a reply needs a reason",
                           field="note")
    order.status, order.closed_by, order.closed_at, order.close_note = CLOSED, actor, to_db(now), text or None
    audit.record(session, "supervision_close", actor, now, instance_id=order.instance_id, task_id=order.task_id,
                 opinion=text or None, detail={"order": order.id})
    _tell(session, now, order, order.addressee, f"【督办办结】督办单 {order.id}", text or "督办单已办结")
    session.flush()
    return order


def mark_overdue(session: Session, now: datetime) -> list[SupervisionOrder]:
    """Store the overdue status of open orders past their deadline and tell both sides (once)."""
    late = list(session.scalars(select(SupervisionOrder).where(SupervisionOrder.status == OPEN,
                                                               SupervisionOrder.due_at <= to_db(now))
                                .order_by(SupervisionOrder.due_at, SupervisionOrder.id)))
    for order in late:
        order.status = OVERDUE
        audit.record(session, "supervision_overdue", None, now, instance_id=order.instance_id,
                     task_id=order.task_id, detail={"order": order.id})
        for username in (order.addressee, order.issued_by):
            _tell(session, now, order, username, f"【督办超期】督办单 {order.id}",
                  f"督办单已超过办理期限（{sched.last_day(order.due_at):%Y年%m月%d日}）仍未回复")
    session.flush()
    return late


def _tell(session: Session, now: datetime, order: SupervisionOrder, username: str, subject: str, body: str) -> None:
    user = directory.find_user(session, username)
    if user is not None:
        notify.notify_user(session, now, user, subject, body, kind="supervision_order",
                           instance_id=order.instance_id, clock_id=order.clock_id)


def urge_clock(session: Session, actor: str, now: datetime, clock_id: int, note: str = "") -> list[str]:
    """催办 from a clock: the step's holder, or every open step of the case for a case clock."""
    clock = lifecycle.get_clock(session, clock_id)
    if not clock.active:
        raise Conflict(f"计时已结束（{clock.status}），无需催办 / clock {clock_id} has ended: nobody to urge")
    if clock.instance_id is None:
        raise Conflict(f"计时 {clock_id} 没有案件，无人可催 / clock {clock_id} has no case: nobody to urge")
    if clock.task_id:
        open_ids = [clock.task_id] if tasks.get(session, clock.task_id).status == "open" else []
    else:
        open_ids = [row.id for row in tasks.open_for_instance(session, clock.instance_id)]
    if not open_ids:
        raise Conflict("没有待办环节可催办 / the case has no open step to urge")
    urged: list[str] = []
    refused: Conflict | None = None
    for task_id in open_ids:
        try:
            urged += task_actions.urge(session, actor, now, task_id, note)
        except Conflict as exc:  # urged within the hour: the other steps are still worth urging
            refused = refused or exc
    if not urged and refused is not None:
        raise Conflict(f"一小时内已催办过 / {refused}")
    return sorted(set(urged))

