"""Named read-only queries of 实时监察, 预警 and 督办单, over projection tables only.

Each takes (session, filter, now). Conditions stay on clock columns, so the (active, due_at, id) and
(department_code, active, due_at, id) indexes give a page in due order without sorting, and counts read
ix_clock_status or the filtered range only; names and working days are added to the page's rows alone
(webapp/supervision/rows.py). Running clocks carry one of four statuses, which counts rely on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from engine.clocks import schedule as sched
from engine.clocks.models import Clock
from engine.core.clock import CHINA_TZ, to_db
from engine.core.models import AuditEvent
from engine.flow.models import Instance, ProcessVersion
from engine.gov import supervision as orders_engine
from engine.gov.models import SupervisionOrder
from engine.org.models import Department
from webapp.supervision.rows import chunks, clock_select, describe, pairs

LIVE_STATUSES = ("running", "warned", "overdue", "paused")
LEVELS = {"yellow": "warned", "red": "overdue"}
PER_PAGE_MAX = 100
EXPORT_MAX = 50_000


@dataclass
class ClockFilter:
    """What a supervisor narrows the live and warning lists by; every field optional."""

    process: str | None = None
    department: str | None = None
    handler: str | None = None
    status: str | None = None  # running warned overdue paused
    due_from: date | None = None
    due_to: date | None = None
    level: str = "red"  # the warning list shown: yellow or red
    page: int = 1
    per_page: int = 20

    def offset(self) -> int:
        return (max(self.page, 1) - 1) * self.limit()

    def limit(self) -> int:
        return min(max(self.per_page, 1), PER_PAGE_MAX)


@dataclass
class Page:
    """One page of a list, its total, and (live list) the counts per status."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)
    summary: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // max(self.per_page, 1)))


def day_start(day: date) -> datetime:
    """00:00 of a China date, as the naive UTC the columns hold."""
    return to_db(datetime.combine(day, time(), CHINA_TZ)) or datetime.min


def running() -> Any:
    """`active = true`, which a btree index can use (`active IS true` cannot)."""
    return Clock.active == true()


def process_condition(process: str | None) -> Any:
    """Clocks of one process: the clock carries its case's process, indexed with (active, due_at)."""
    return Clock.process_id == process if process else None


def clock_conditions(f: ClockFilter) -> list[Any]:
    """Filters on running clocks, shared by rows and counts."""
    found = [Clock.department_code == f.department if f.department else None,
             Clock.responsible == f.handler if f.handler else None,
             Clock.due_at >= day_start(f.due_from) if f.due_from else None,
             Clock.due_at < day_start(f.due_to + timedelta(days=1)) if f.due_to else None,
             process_condition(f.process)]
    return [c for c in found if c is not None]


def live_summary(session: Session, f: ClockFilter, now: datetime) -> dict[str, int]:
    """Running clocks per status under the filter (without its status): the tab counts and the total."""
    # The statuses of running clocks are exactly these four: an index-only count over ix_clock_status.
    query = (select(Clock.status, func.count()).where(Clock.status.in_(LIVE_STATUSES), *clock_conditions(f))
             .group_by(Clock.status))
    counts = {status: 0 for status in LIVE_STATUSES}
    for status, number in session.execute(query):
        counts[status] = counts.get(status, 0) + int(number)
    counts["all"] = sum(counts[s] for s in LIVE_STATUSES)
    return counts


def live_clocks(session: Session, f: ClockFilter, now: datetime, *, export: bool = False) -> Page:
    """实时监察: every running clock of a case or step, soonest due first."""
    # A status filter reads (status, due_at, id); a status is a running clock's, so `active` is implied.
    conditions = [Clock.status == f.status] if f.status in LIVE_STATUSES else [running()]
    conditions += clock_conditions(f)
    summary = live_summary(session, f, now)
    total = summary[f.status] if f.status in LIVE_STATUSES else summary["all"]
    query = clock_select(conditions).order_by(Clock.due_at, Clock.id)
    page = _page(session, query, f, total, now, export)
    page.summary = summary
    return page


def warnings(session: Session, f: ClockFilter, now: datetime, *, export: bool = False) -> Page:
    """预警: yellow (warned) or red (overdue) running clocks, the newest warning first, with who was told."""
    status = LEVELS.get(f.level, "overdue")
    conditions = [Clock.status == status, *clock_conditions(f)]  # a status implies a running clock
    order: tuple[Any, ...]
    if status == "overdue":  # red since due_at: (status, due_at, id) read backwards from now
        conditions.append(Clock.due_at <= sched.naive(now))
        order = (Clock.due_at.desc(), Clock.id.desc())
    else:  # yellow since warn_at
        order = (Clock.warn_at.desc(), Clock.id.desc())
    total = session.scalar(select(func.count()).select_from(Clock).where(*conditions)) or 0
    query = clock_select(conditions).order_by(*order)
    page = _page(session, query, f, total, now, export)
    add_alerts(session, page.rows)
    return page


def _page(session: Session, query: Select[Any], f: ClockFilter, total: int, now: datetime, export: bool) -> Page:
    limit, offset = (EXPORT_MAX, 0) if export else (f.limit(), f.offset())
    if export and total > EXPORT_MAX:  # the caller refuses such a file: read no rows for it
        return Page([], total, 1, limit)
    found = list(session.scalars(query.offset(offset).limit(limit)))
    return Page(describe(session, found, now), total, 1 if export else max(f.page, 1), limit)


def add_alerts(session: Session, rows: list[dict[str, Any]]) -> None:
    """Who was told of each row's warning and when, the last urge, and open orders (read by case)."""
    events: dict[int, list[AuditEvent]] = {}
    open_orders: dict[int, int] = {}
    for part in chunks(sorted({r["instance_id"] for r in rows if r["instance_id"] is not None})):
        for event in session.scalars(select(AuditEvent).where(
                AuditEvent.instance_id.in_(part), AuditEvent.action.in_(("clock_level", "urge")))
                .order_by(AuditEvent.id)):
            events.setdefault(event.instance_id or 0, []).append(event)
    for part in chunks([r["id"] for r in rows]):
        open_orders.update(pairs(session.execute(select(SupervisionOrder.clock_id, func.count()).where(
            SupervisionOrder.clock_id.in_(part),
            SupervisionOrder.status.in_((orders_engine.OPEN, orders_engine.OVERDUE)))
            .group_by(SupervisionOrder.clock_id)).all()))
    for row in rows:
        row["open_orders"] = int(open_orders.get(row["id"], 0))
        _alert_facts(row, events.get(row["instance_id"] or 0, []))


def _alert_facts(row: dict[str, Any], events: list[AuditEvent]) -> None:
    """The last notice of the row's current level and the last urge of its step (or case)."""
    row["notified_at"], row["notified"], row["urged_at"], row["urged_by"] = None, [], None, None
    for event in events:
        detail = event.detail or {}
        if (event.action == "clock_level" and detail.get("clock_id") == row["id"]
                and detail.get("to") == row["warning_level"]):
            row["notified_at"], row["notified"] = event.at, list(detail.get("notified") or [])
        elif event.action == "urge" and (row["task_id"] is None or event.task_id == row["task_id"]):
            row["urged_at"], row["urged_by"] = event.at, event.actor


@dataclass
class OrderFilter:
    """督办单 lists: by status (overdue read from the deadline), addressee or issuer."""

    status: str | None = None
    addressee: str | None = None
    issued_by: str | None = None
    page: int = 1
    per_page: int = 20

    def offset(self) -> int:
        return (max(self.page, 1) - 1) * self.limit()

    def limit(self) -> int:
        return min(max(self.per_page, 1), PER_PAGE_MAX)


def _order_status(status: str | None, now: datetime) -> Any:
    moment = sched.naive(now)
    return {
        orders_engine.OPEN: and_(SupervisionOrder.status == orders_engine.OPEN, SupervisionOrder.due_at > moment),
        orders_engine.OVERDUE: or_(SupervisionOrder.status == orders_engine.OVERDUE,
                                   and_(SupervisionOrder.status == orders_engine.OPEN,
                                        SupervisionOrder.due_at <= moment)),
        orders_engine.REPLIED: SupervisionOrder.status == orders_engine.REPLIED,
        orders_engine.CLOSED: SupervisionOrder.status == orders_engine.CLOSED,
        "pending": SupervisionOrder.status.in_((orders_engine.OPEN, orders_engine.OVERDUE)),
    }.get(status or "")


def orders(session: Session, f: OrderFilter, now: datetime) -> Page:
    """督办单 by deadline (soonest first), with the case title and the status as of now."""
    conditions = [c for c in (_order_status(f.status, now),
                              SupervisionOrder.addressee == f.addressee if f.addressee else None,
                              SupervisionOrder.issued_by == f.issued_by if f.issued_by else None) if c is not None]
    total = session.scalar(select(func.count()).select_from(SupervisionOrder).where(*conditions)) or 0
    query = (select(SupervisionOrder, Instance.title).outerjoin(Instance, Instance.id == SupervisionOrder.instance_id)
             .where(*conditions).order_by(SupervisionOrder.due_at, SupervisionOrder.id)
             .offset(f.offset()).limit(f.limit()))
    rows = [{"order": order, "title": title, "status": orders_engine.effective_status(order, now),
             "last_day": sched.last_day(order.due_at)} for order, title in session.execute(query)]
    return Page(rows, total, max(f.page, 1), f.limit())


def processes(session: Session) -> list[tuple[str, str]]:
    """(process id, latest name) for the process filter."""
    rows = session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                           .order_by(ProcessVersion.process_id, ProcessVersion.version))
    return sorted({pid: name or pid for pid, name in rows}.items())


def departments(session: Session) -> list[tuple[str, str]]:
    """(code, name) for the department filter."""
    return [(code, name) for code, name in session.execute(select(Department.code, Department.name)
                                                           .order_by(Department.code))]


def clock_row(session: Session, clock_id: int, now: datetime) -> dict[str, Any] | None:
    """One clock as the lists show it (the order form's heading), or None."""
    clock = session.get(Clock, clock_id)
    return describe(session, [clock], now)[0] if clock is not None else None
