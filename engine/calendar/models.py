"""Tables of the working-day calendar: the official and overridden days, and which years are published."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.models import Base, UtcDateTime


class CalendarDay(Base):
    """A named holiday-period day, 调休 make-up working day or admin override; other days follow the weekday rule."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    kind: Mapped[str] = mapped_column(String(8))  # workday rest holiday makeup
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8), default="official")  # official admin
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CalendarYear(Base):
    """Whether a year's schedule has been published (official) or is only the weekday rule."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    status: Mapped[str] = mapped_column(String(12))  # official provisional
    note: Mapped[str | None] = mapped_column(Text)
