"""Pure clock arithmetic over the working-day calendar: due and warning moments, level at a moment.

Conventions (documented because the law counts days, not hours):
- the start day is not counted (期间开始之日不计算在内): n days from a start end with the n-th counting day
  after it; `due_at` is the end of that day in China time (the next midnight, exclusive), and a
  calendar-day limit ending on a rest day moves to the next working day (engine/calendar/workdays.py);
- a pause excludes the days from the pause day up to, not including, the resume day (working days for a
  working-day clock, calendar days otherwise), so pausing and resuming on one day moves nothing;
- with `restart_on_supplement`, the resume day of the last 补正 pause becomes the new start day and
  earlier pauses no longer matter;
- yellow when the days left fall to max(warn_days_left, allowed x (1 - warn_ratio)), red from the due
  moment on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from engine.clocks.models import Clock, ClockPause, ClockPolicy
from engine.clocks.policies import CALENDAR, SUPPLEMENT
from engine.core.clock import CHINA_TZ, as_utc

NONE, YELLOW, RED = "none", "yellow", "red"
RANK = {NONE: 0, YELLOW: 1, RED: 2}
RUNNING, PAUSED, WARNED, OVERDUE = "running", "paused", "warned", "overdue"
STATUS_OF_LEVEL = {NONE: RUNNING, YELLOW: WARNED, RED: OVERDUE}
# China dates against naive UTC columns: widen date filters by a day so no edge day is missed.
DAY_SLACK = timedelta(days=1)


class ClockTimes(Protocol):
    """What level_at and next_check read: a Clock, or a row snapshot the scheduler checks in bulk."""

    @property
    def due_at(self) -> datetime: ...
    @property
    def warn_at(self) -> datetime | None: ...
    @property
    def active(self) -> bool: ...
    @property
    def paused_since(self) -> datetime | None: ...


@dataclass(frozen=True)
class Schedule:
    """Where a clock stands: its counting start, days excluded, due and warning moments (naive UTC)."""

    start_date: date
    paused_days: int
    total_days: int
    due_date: date
    due_at: datetime
    warn_at: datetime
    provisional: bool


def naive(moment: datetime) -> datetime:
    """Naive UTC, the database convention (to_db without the Optional)."""
    return as_utc(moment).replace(tzinfo=None)


def china_date(moment: datetime) -> date:
    return as_utc(moment).astimezone(CHINA_TZ).date()


def last_day(due_at: datetime) -> date:
    """The China day a limit ends on (due_at is the midnight after it)."""
    return china_date(as_utc(due_at) - timedelta(microseconds=1))


def counting_start(clock: Clock, policy: ClockPolicy, pauses: Sequence[ClockPause]) -> date:
    """The start day, or the resume day of the last 补正 when the law restarts the count."""
    start = china_date(clock.started_at)
    if policy.restart_on_supplement:
        resumed = [p.resumed_at for p in pauses if p.reason == SUPPLEMENT and p.resumed_at is not None]
        if resumed:
            start = max(start, china_date(max(resumed)))
    return start


def days_in(calendar: Any, unit: str, first: date, stop: date) -> int:
    """Counting days in [first, stop): calendar days, or working days of the official calendar."""
    if stop <= first:
        return 0
    if unit == CALENDAR:
        return (stop - first).days
    # working_days_between counts the working days after `a` up to and including `b`.
    return int(calendar.working_days_between(first - timedelta(days=1), stop - timedelta(days=1)))


def paused_days(calendar: Any, unit: str, start: date, pauses: Sequence[ClockPause]) -> int:
    """Days excluded by closed pauses; only counting days (after the start day) can be excluded."""
    total = 0
    for pause in pauses:
        if pause.resumed_at is None:
            continue
        first, stop = china_date(pause.paused_at), china_date(pause.resumed_at)
        total += days_in(calendar, unit, max(first, start + timedelta(days=1)), stop)
    return total


def warn_threshold(allowed: int, policy: ClockPolicy) -> int:
    """Days left at which yellow starts: the earlier of the ratio and the days-left rule."""
    ratio = policy.warn_ratio if policy.warn_ratio is not None else 0.8
    by_ratio = math.floor(allowed * (1 - ratio) + 1e-9)
    by_days = policy.warn_days_left if policy.warn_days_left is not None else 2
    return max(by_ratio, by_days)


def compute(calendar: Any, clock: Clock, policy: ClockPolicy, pauses: Sequence[ClockPause]) -> Schedule:
    """Due and warning moments from the start, the limit, extensions and closed pauses."""
    start = counting_start(clock, policy, pauses)
    excluded = paused_days(calendar, clock.unit, start, pauses)
    allowed = clock.limit_days + clock.extended_days
    total = allowed + excluded
    due = calendar.due_at(start, total, clock.unit)
    warn_index = total - warn_threshold(allowed, policy)
    if warn_index >= 1:
        warn_at = naive(calendar.due_at(start, warn_index, clock.unit).due_at)
    else:
        warn_at = clock.started_at
    return Schedule(start, excluded, total, due.date, naive(due.due_at), warn_at, bool(due.provisional))


def level_at(clock: ClockTimes, now: datetime) -> str:
    """Red from due_at (the end of the last day) on, yellow from warn_at on, else none."""
    moment = naive(now)
    if moment >= clock.due_at:
        return RED
    if clock.warn_at is not None and moment >= clock.warn_at:
        return YELLOW
    return NONE


def next_check(clock: ClockTimes, policy: ClockPolicy, now: datetime) -> datetime | None:
    """The next moment the level can change; an overdue clock with an expiry action stays due."""
    if not clock.active or clock.paused_since is not None:
        return None
    moment = naive(now)
    if clock.warn_at is not None and moment < clock.warn_at:
        return clock.warn_at
    if moment < clock.due_at:
        return clock.due_at
    return clock.due_at if policy.on_expiry else None


def used_working_days(calendar: Any, clock: Clock, policy: ClockPolicy, pauses: Sequence[ClockPause],
                      end: datetime) -> int:
    """Working days counted from the start to `end`, without paused working days."""
    start = counting_start(clock, policy, pauses)
    stop = china_date(end) + timedelta(days=1)
    counted = days_in(calendar, "wd", start + timedelta(days=1), stop)
    return max(0, counted - paused_days(calendar, "wd", start, pauses))
