"""Named read-only report queries (绩效评估, 统计分析) over finished and overdue clocks.

Each takes (session, filter, now). A period is a pair of China dates, both included; figures count
clocks that finished inside it (finished_at is indexed), aggregated in the database. Trend buckets are
a CASE over precomputed bucket bounds, so weeks and months follow China time on every database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from engine.clocks import schedule as sched
from engine.clocks.lifecycle import EXPIRED, FINISHED_LATE, FINISHED_ON_TIME
from engine.clocks.models import Clock, ClockPause
from engine.core.errors import InvalidInput
from engine.org.models import Department, User
from webapp.supervision.queries import EXPORT_MAX, PER_PAGE_MAX, Page, day_start, process_condition
from webapp.supervision.rows import chunks, clock_select, describe, pairs
from webapp.supervision.span_calendar import SpanCalendar

FINISHED = (FINISHED_ON_TIME, FINISHED_LATE)
UNITS = ("week", "month")
MAX_BUCKETS = 60


@dataclass
class ReportFilter:
    """A period (China dates, inclusive), optional process and department, trend unit and list page."""

    date_from: date
    date_to: date
    process: str | None = None
    department: str | None = None
    unit: str = "week"
    page: int = 1
    per_page: int = 20

    def bounds(self) -> tuple[datetime, datetime]:
        """[start of the first day, start of the day after the last) as naive UTC."""
        return day_start(self.date_from), day_start(self.date_to + timedelta(days=1))

    def offset(self) -> int:
        return (max(self.page, 1) - 1) * self.limit()

    def limit(self) -> int:
        return min(max(self.per_page, 1), PER_PAGE_MAX)


def default_filter(now: datetime) -> ReportFilter:
    """The last 90 days up to today, by week."""
    today = sched.china_date(now)
    return ReportFilter(date_from=today - timedelta(days=89), date_to=today)


def _scope(f: ReportFilter) -> list[Any]:
    """Conditions every report shares: the process (semi-join) and the department."""
    found = [process_condition(f.process), Clock.department_code == f.department if f.department else None]
    return [c for c in found if c is not None]


def _finished(f: ReportFilter) -> list[Any]:
    start, stop = f.bounds()
    return [Clock.finished_at >= start, Clock.finished_at < stop, Clock.status.in_(FINISHED), *_scope(f)]


FIGURES = ("finished", "on_time", "late", "sum_days", "max_days", "extended", "extension_days", "pauses")


def _figures() -> list[Any]:
    """The same sums for every grouping: counts, on time, late, days used, extensions."""
    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    return [func.count().label("finished"), count_if(Clock.status == FINISHED_ON_TIME).label("on_time"),
            count_if(Clock.status == FINISHED_LATE).label("late"), func.sum(Clock.used_working_days).label("sum_days"),
            func.max(Clock.used_working_days).label("max_days"), count_if(Clock.extended_days > 0).label("extended"),
            func.sum(Clock.extended_days).label("extension_days")]


def _cells(session: Session, f: ReportFilter) -> list[dict[str, Any]]:
    """Figures per (department, handler): one scan of the period's finished clocks serves both reports."""
    keys = (Clock.department_code, Clock.responsible)
    pauses = {(dept, who): int(n) for dept, who, n in session.execute(
        select(*keys, func.count(ClockPause.id)).join(ClockPause, ClockPause.clock_id == Clock.id)
        .where(*_finished(f)).group_by(*keys))}
    cells = []
    for r in session.execute(select(*keys, *_figures()).where(*_finished(f)).group_by(*keys)):
        cell: dict[str, Any] = {name: int(r._mapping[name] or 0) for name in FIGURES[:-1]}
        cell.update(department=r.department_code, handler=r.responsible,
                    pauses=pauses.get((r.department_code, r.responsible), 0))
        cells.append(cell)
    return cells


def _rollup(cells: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Sum the cells by department or by handler, then the rate and the average."""
    groups: dict[Any, dict[str, Any]] = {}
    for cell in cells:
        group = groups.setdefault(cell[key], {key: cell[key], **{name: 0 for name in FIGURES}})
        for name in FIGURES:
            group[name] = max(group[name], cell[name]) if name == "max_days" else group[name] + cell[name]
    for group in groups.values():
        finished = group["finished"]
        group["avg_days"] = round(group["sum_days"] / finished, 1) if finished else 0.0
        group["on_time_rate"] = group["on_time"] / finished if finished else None
    return list(groups.values())


def _departments(session: Session, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = _rollup(cells, "department")
    names = pairs(session.execute(select(Department.code, Department.name)))
    for row in rows:
        row["name"] = names.get(row["department"] or "", row["department"] or "")
    return sorted(rows, key=lambda r: (-(r["on_time_rate"] or 0), -r["finished"], r["department"] or ""))


def _handlers(session: Session, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = _rollup(cells, "handler")
    people: dict[str, tuple[str, str | None]] = {}
    for part in chunks(sorted(r["handler"] for r in rows if r["handler"])):
        for username, display, dept in session.execute(
                select(User.username, User.display_name, Department.name)
                .outerjoin(Department, Department.id == User.department_id).where(User.username.in_(part))):
            people[username] = (display or username, dept)
    for row in rows:
        row["name"], row["department_name"] = people.get(row["handler"] or "", (row["handler"] or "", None))
    return sorted(rows, key=lambda r: (-r["finished"], r["handler"] or ""))


def department_report(session: Session, f: ReportFilter, now: datetime) -> list[dict[str, Any]]:
    """Per department: finished, on-time rate, average and longest working days, late, extensions, pauses."""
    return _departments(session, _cells(session, f))


def handler_report(session: Session, f: ReportFilter, now: datetime) -> list[dict[str, Any]]:
    """The same figures per responsible person, with their name and department."""
    return _handlers(session, _cells(session, f))


def performance(session: Session, f: ReportFilter, now: datetime) -> tuple[list[dict[str, Any]],
                                                                          list[dict[str, Any]]]:
    """Both reports from one scan of the period (what the report page shows)."""
    cells = _cells(session, f)
    return _departments(session, cells), _handlers(session, cells)


def buckets(f: ReportFilter) -> list[tuple[date, date]]:
    """Weeks (Monday first) or months overlapping the period, as [first day, first day of the next)."""
    if f.unit not in UNITS:
        raise InvalidInput(f"统计周期应为 week 或 month / unit must be week or month, not '{f.unit}'", field="unit")
    if f.date_to < f.date_from:
        raise InvalidInput("结束日期早于开始日期 / the period ends before it starts", field="date_to")
    found: list[tuple[date, date]] = []
    first = (f.date_from - timedelta(days=f.date_from.weekday()) if f.unit == "week"
             else f.date_from.replace(day=1))
    while first <= f.date_to:
        nxt = first + timedelta(days=7) if f.unit == "week" else (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        found.append((first, nxt))
        first = nxt
        if len(found) > MAX_BUCKETS:
            raise InvalidInput(f"统计区间过长：最多 {MAX_BUCKETS} 个周期，请改按月或缩短区间 / at most "
                               f"{MAX_BUCKETS} {f.unit}s: shorten the period or count by month", field="unit")
    return found


def label(first: date, unit: str) -> str:
    """2026-10 for a month; the ISO week for a week (2026-W44)."""
    if unit == "month":
        return f"{first:%Y-%m}"
    year, week, _ = first.isocalendar()
    return f"{year}-W{week:02d}"


def trend(session: Session, f: ReportFilter, now: datetime) -> list[dict[str, Any]]:
    """Finished, on time, late and average days per week or month of the period, empty buckets included."""
    spans = buckets(f)
    index = case(*[(Clock.finished_at < day_start(nxt), literal(n)) for n, (_, nxt) in enumerate(spans)],
                 else_=literal(len(spans)))
    query = select(index.label("bucket"), *_figures()).where(*_finished(f)).group_by(index)
    found = {int(r.bucket): {name: int(r._mapping[name] or 0) for name in FIGURES[:-1]}
             for r in session.execute(query)}
    empty = dict.fromkeys(FIGURES[:-1], 0)
    rows = []
    for n, (first, nxt) in enumerate(spans):
        sums = found.get(n, empty)
        finished = sums["finished"]
        rows.append({"label": label(first, f.unit), "first": max(first, f.date_from),
                     "last": min(nxt - timedelta(days=1), f.date_to), "finished": finished,
                     "on_time": sums["on_time"], "late": sums["late"],
                     "avg_days": round(sums["sum_days"] / finished, 1) if finished else 0.0,
                     "on_time_rate": sums["on_time"] / finished if finished else None})
    return rows


def _overdue_conditions(f: ReportFilter, now: datetime) -> list[Any]:
    """Overdue now (running, red), or finished late or expired inside the period."""
    start, stop = f.bounds()
    running = and_(Clock.status == "overdue", Clock.due_at <= sched.naive(now))  # overdue: a running clock's
    ended = and_(Clock.status.in_((FINISHED_LATE, EXPIRED)), Clock.finished_at >= start, Clock.finished_at < stop)
    return [or_(running, ended), *_scope(f)]


def overdue_cases(session: Session, f: ReportFilter, now: datetime, *, export: bool = False) -> Page:
    """超期件: clocks overdue now or finished late in the period, the latest due first."""
    conditions = _overdue_conditions(f, now)
    total = session.scalar(select(func.count()).select_from(Clock).where(*conditions)) or 0
    query: Select[Any] = clock_select(conditions).order_by(Clock.due_at.desc(), Clock.id.desc())
    limit, offset = (EXPORT_MAX, 0) if export else (f.limit(), f.offset())
    if export and total > EXPORT_MAX:  # the caller refuses such a file: read no rows for it
        return Page([], total, 1, limit)
    rows = describe(session, list(session.scalars(query.offset(offset).limit(limit))), now)
    for row in rows:  # how late: working days past the last day, to the finish (or to now)
        row["late_days"] = -row["remaining_days"] if row["remaining_days"] is not None else _late_days(
            session, row, now)
    return Page(rows, total, 1 if export else max(f.page, 1), limit)


def _late_days(session: Session, row: dict[str, Any], now: datetime) -> int:
    end = row["finished_at"] or sched.naive(now)
    calendar = SpanCalendar(session, row["last_day"], max(row["last_day"], sched.china_date(end)))
    return int(calendar.working_days_between(row["last_day"], sched.china_date(end)))
