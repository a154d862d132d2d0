"""The one source of time for the engine: edges pass a clock in, tests pass a fixed one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time as an aware UTC datetime."""
        ...


class SystemClock:
    """Wall clock; only the edges (CLI, web, scheduler) construct one."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock tests move by hand, so nothing ever sleeps."""

    def __init__(self, start: datetime):
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = as_utc(when)

    def advance(self, **kwargs: float) -> datetime:
        self._now += timedelta(**kwargs)
        return self._now


def as_utc(value: datetime) -> datetime:
    """Aware UTC datetime; naive values are taken as UTC (the database convention)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_db(value: datetime | None) -> datetime | None:
    """Naive UTC for storage, so SQLite and PostgreSQL compare the same way."""
    if value is None:
        return None
    return as_utc(value).replace(tzinfo=None)
