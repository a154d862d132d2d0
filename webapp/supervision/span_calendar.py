"""Working days of one span of dates, for the days used and left on a page of clocks.

The engine's WorkCalendar loads every stored day of every year and counts day by day; a list page needs
only the span its rows cover, so this reads that span with one range query and counts by prefix sums.
Same rule: a stored day (holiday, 调休 make-up day, override) wins, any other day follows the weekday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar.models import CalendarDay
from engine.core.clock import CHINA_TZ, as_utc


def china_day(value: date | datetime) -> date:
    return as_utc(value).astimezone(CHINA_TZ).date() if isinstance(value, datetime) else value


class SpanCalendar:
    """working_days_between over [first, last], in constant time per call."""

    def __init__(self, session: Session, first: date, last: date):
        stored = {day: bool(workday) for day, workday in session.execute(
            select(CalendarDay.day, CalendarDay.is_workday).where(
                CalendarDay.region == "", CalendarDay.day >= first, CalendarDay.day <= last))}
        self.first, self.last = first, last
        self.stored = stored
        self.counted = [0]  # counted[i]: working days in [first, first + i)
        for offset in range((last - first).days + 1):
            self.counted.append(self.counted[-1] + self.is_workday(first + timedelta(days=offset)))

    def is_workday(self, day: date) -> bool:
        found = self.stored.get(day)
        return found if found is not None else day.weekday() < 5

    def _through(self, day: date) -> int:
        """Working days from `first` up to and including `day` (days outside the span by the weekday rule)."""
        if day < self.first:
            return -sum(self.is_workday(d) for d in _days(day + timedelta(days=1), self.first))
        if day > self.last:
            return self.counted[-1] + sum(self.is_workday(d) for d in _days(self.last + timedelta(days=1),
                                                                             day + timedelta(days=1)))
        return self.counted[(day - self.first).days + 1]

    def working_days_between(self, a: date | datetime, b: date | datetime) -> int:
        """Working days after a's day up to and including b's day (0 when b is not later)."""
        first, last = china_day(a), china_day(b)
        return self._through(last) - self._through(first) if last > first else 0


def _days(start: date, stop: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((stop - start).days)]
