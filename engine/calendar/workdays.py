"""The official working-day calendar (State Council schedule incl. 调休 make-up days) and limit arithmetic.

Legal conventions: the starting day is not counted; a limit expires at the end of its last day in China
time; a calendar-day limit whose last day is not a working day moves to the next working day. Years
the State Council has not published follow the weekday rule and every result touching them says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar.models import CalendarDay, CalendarYear
from engine.core import audit
from engine.core.clock import CHINA_TZ, as_utc, to_db
from engine.core.errors import InvalidInput

WORKING_DAYS, CALENDAR_DAYS = "wd", "cd"
OFFICIAL, PROVISIONAL = "official", "provisional"
ON_CALENDAR_CHANGE: list[Callable[[Session, datetime, list[date]], None]] = []
_MAX_SPAN = 3660  # days a single computation may walk (ten years)
_CACHE_KEY = "govflow.workdays.calendars"


@dataclass(frozen=True)
class DueDate:
    """The last day of a limit and the instant it expires (end of that day in China, as UTC)."""

    date: date
    due_at: datetime
    provisional: bool
    unit: str
    n: int


def seed_official(session: Session, now: datetime) -> int:
    """Load every year chinesecalendar publishes (holidays and make-up days); idempotent."""
    import chinese_calendar
    from chinese_calendar import constants

    source = f"chinesecalendar {getattr(chinese_calendar, '__version__', '')}".strip()
    existing = {d for d in session.scalars(select(CalendarDay.day).where(CalendarDay.region == ""))}
    added = 0
    # Weekend days inside a holiday period are stored too (named), so `show` lists the whole period;
    # plain weekends are not stored: a day without a row follows the weekday rule ('rest' on Sat/Sun).
    for day, name in sorted(constants.holidays.items()):
        if day not in existing:
            session.add(CalendarDay(day=day, region="", kind="holiday", is_workday=False, name=_zh(name),
                                    note=_notice(day.year, source), source=OFFICIAL, updated_at=to_db(now)))
            added += 1
    for day, name in sorted(constants.workdays.items()):
        if day.weekday() >= 5 and day not in existing:
            session.add(CalendarDay(day=day, region="", kind="makeup", is_workday=True, name=_zh(name),
                                    note=_notice(day.year, source), source=OFFICIAL, updated_at=to_db(now)))
            added += 1
    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    known = set(session.scalars(select(CalendarYear.year).where(CalendarYear.region == "")))
    for year in sorted(years - known):
        session.add(CalendarYear(year=year, region="", status=OFFICIAL, note=source))
    session.flush()
    session.info.pop(_CACHE_KEY, None)
    return added


def _notice(year: int, source: str) -> str:
    return f"国务院办公厅关于{year}年部分节假日安排的通知（{source}）"


_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
          "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "Mid-autumn Festival": "中秋节",
          "National Day": "国庆节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日"}


def _zh(name: Any) -> str:
    text = getattr(name, "value", None) or str(name)
    return _NAMES.get(text, text)


class WorkCalendar:
    """Working days as the database holds them now (national days, then a region's overrides)."""

    def __init__(self, session: Session, region: str = ""):
        regions = ["", region] if region else [""]
        rows = session.scalars(select(CalendarDay).where(CalendarDay.region.in_(regions))).all()
        ordered = sorted(rows, key=lambda r: r.region != "")  # regional rows override national ones
        self.region = region
        self.days: dict[date, bool] = {row.day: row.is_workday for row in ordered}
        self.kinds: dict[date, str] = {row.day: row.kind for row in ordered}
        self.official_years = set(session.scalars(select(CalendarYear.year).where(
            CalendarYear.region.in_(regions), CalendarYear.status == OFFICIAL)))

    def is_workday(self, day: date) -> bool:
        """A stored day (holiday, make-up day, override) wins; any other day follows the weekday rule."""
        found = self.days.get(day)
        return found if found is not None else day.weekday() < 5

    def kind_of(self, day: date) -> str:
        """'workday', 'rest' (weekend), 'holiday' or 'makeup' (调休 working weekend day)."""
        return self.kinds.get(day) or ("workday" if day.weekday() < 5 else "rest")

    def is_provisional(self, day: date) -> bool:
        """True when the day's year has no published schedule (weekday rule only)."""
        return day.year not in self.official_years

    def spans_provisional(self, a: date | datetime, b: date | datetime) -> bool:
        """Whether any day after a's day up to b's day lies in an unpublished year."""
        first, last = sorted((_china_day(a), _china_day(b)))
        if first == last:
            return False
        after = first + timedelta(days=1)
        return any(y not in self.official_years for y in range(after.year, last.year + 1))

    def add_working_days(self, start: date, n: int) -> tuple[date, bool]:
        """The n-th working day after `start` (not counting `start`), and whether it is provisional."""
        if n < 0:
            raise InvalidInput(f"时限不能为负数（{n}） / a limit cannot be negative ({n})", field="n")
        day, counted, provisional = start, 0, False
        for _ in range(_MAX_SPAN):
            if counted >= n:
                break
            day += timedelta(days=1)
            provisional |= self.is_provisional(day)
            if self.is_workday(day):
                counted += 1
        else:
            raise InvalidInput(f"自 {start} 起 {n} 个工作日超出了日历范围 / {n} working days from {start} is beyond the calendar's range")
        return day, provisional

    def add_calendar_days(self, start: date, n: int) -> tuple[date, bool]:
        """`start` + n days, moved to the next working day when it falls on a rest day or holiday."""
        if n < 0:
            raise InvalidInput(f"时限不能为负数（{n}） / a limit cannot be negative ({n})", field="n")
        day = start + timedelta(days=n)
        provisional = self.is_provisional(day)
        while not self.is_workday(day):
            day += timedelta(days=1)
            provisional |= self.is_provisional(day)
        return day, provisional

    def due_at(self, start: date | datetime, n: int, unit: str) -> DueDate:
        """Last day and expiry instant of an n-day limit counted from `start` (a China date or instant)."""
        if isinstance(start, datetime):
            start = as_utc(start).astimezone(CHINA_TZ).date()
        if unit == WORKING_DAYS:
            last, provisional = self.add_working_days(start, n)
        elif unit == CALENDAR_DAYS:
            last, provisional = self.add_calendar_days(start, n)
        else:
            raise InvalidInput(f"计时单位须为 wd（工作日）或 cd（自然日），不能是“{unit}” / unit must be 'wd' (working days) or "
                           f"'cd' (calendar days), not '{unit}'",
                               field="unit")
        end = datetime.combine(last + timedelta(days=1), time(0), CHINA_TZ)
        return DueDate(last, as_utc(end), provisional, unit, n)

    def working_days_between(self, a: date | datetime, b: date | datetime) -> int:
        """Working days after a's day up to and including b's day (0 when b is not later)."""
        first, last = _china_day(a), _china_day(b)
        count, day = 0, first
        while day < last:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count

    def year_summary(self, year: int) -> dict[str, Any]:
        """Status and day counts of a year, for `calendar show`."""
        days = [date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
        kinds = [self.kind_of(d) for d in days]
        return {"year": year, "status": PROVISIONAL if self.is_provisional(date(year, 6, 1)) else OFFICIAL,
                "working_days": sum(self.is_workday(d) for d in days),
                "holidays": kinds.count("holiday"), "makeup_days": kinds.count("makeup")}


def calendar_for(session: Session, region: str = "") -> WorkCalendar:
    """One WorkCalendar per transaction and region, so the scheduler's many clocks share a single load."""
    cached = session.info.get(_CACHE_KEY)
    transaction = session.get_transaction()
    if cached is None or transaction is None or cached[0] is not transaction:
        cached = (None, {})
    calendars: dict[str, WorkCalendar] = cached[1]
    if region not in calendars:
        calendars[region] = WorkCalendar(session, region)
    session.info[_CACHE_KEY] = (session.get_transaction(), calendars)  # loading began one if none was open
    return calendars[region]


def _china_day(value: date | datetime) -> date:
    return as_utc(value).astimezone(CHINA_TZ).date() if isinstance(value, datetime) else value


KINDS = {"workday": True, "holiday": False}


def set_day(session: Session, actor: str | None, now: datetime, day: date, kind: str | bool, note: str,
            region: str | None = None) -> CalendarDay:
    """An administrator's override of one day (e.g. a local holiday); running clocks are recomputed."""
    region = region or ""
    is_workday = kind if isinstance(kind, bool) else KINDS.get(kind)
    if is_workday is None:
        raise InvalidInput(f"请选择工作日或休息日 / kind must be 'workday' or 'holiday', not '{kind}'", field="kind")
    row = session.get(CalendarDay, (day, region))
    if row is None:
        row = CalendarDay(day=day, region=region)
        session.add(row)
    before = row.is_workday
    row.kind = ("makeup" if day.weekday() >= 5 else "workday") if is_workday else "holiday"
    row.is_workday, row.note, row.source = is_workday, note, "admin"
    row.updated_by, row.updated_at = actor, to_db(now)
    audit.record(session, "calendar_set", actor, now, detail={
        "day": day.isoformat(), "region": region, "workday": is_workday, "was_workday": before, "note": note})
    session.flush()
    session.info.pop(_CACHE_KEY, None)
    for callback in list(ON_CALENDAR_CHANGE):
        callback(session, now, [day])
    return row


def days_of_year(session: Session, year: int, region: str = "") -> list[CalendarDay]:
    """Holidays, make-up days and overrides stored for a year."""
    return list(session.scalars(select(CalendarDay).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day < date(year + 1, 1, 1),
        CalendarDay.region.in_(["", region] if region else [""])).order_by(CalendarDay.day)))


@dataclass(frozen=True)
class DayView:
    """One day as the calendar counts it, with the stored row's name, note and source when there is one."""

    day: date
    kind: str
    is_workday: bool
    row: CalendarDay | None


def month_days(session: Session, year: int, month: int, region: str = "") -> list[DayView]:
    """Every day of a month: weekday rule, holidays, 调休 make-up days and overrides alike."""
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    calendar = calendar_for(session, region)
    rows = {row.day: row for row in session.scalars(select(CalendarDay).where(
        CalendarDay.day >= first, CalendarDay.day < after, CalendarDay.region.in_(["", region] if region else [""]))
        .order_by(CalendarDay.region))}
    days = [first + timedelta(days=i) for i in range((after - first).days)]
    return [DayView(d, calendar.kind_of(d), calendar.is_workday(d), rows.get(d)) for d in days]


def working_days_by_month(session: Session, year: int, region: str = "") -> list[int]:
    """Working days in each month of a year (January first), as limits will count them."""
    calendar = calendar_for(session, region)
    counts = [0] * 12
    day = date(year, 1, 1)
    while day.year == year:
        counts[day.month - 1] += calendar.is_workday(day)
        day += timedelta(days=1)
    return counts


def is_seeded(session: Session) -> bool:
    """Whether the official schedule has been loaded (the CLI seeds an empty table first)."""
    return session.scalar(select(CalendarYear.year).limit(1)) is not None
