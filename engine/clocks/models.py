"""Tables of the clocks: the time-limit policies with their legal basis, each running clock, its pauses
and its extensions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.models import Base, UtcDateTime


class ClockPolicy(Base):
    """A statutory or local time limit with its legal basis; BPMN elements name it by code."""

    __tablename__ = "clock_policy"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(2))  # 'wd' working days, 'cd' calendar days
    limit_days: Mapped[int] = mapped_column(Integer)
    max_extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_once: Mapped[bool] = mapped_column(Boolean, default=False)  # the law allows one extension only
    warn_ratio: Mapped[float] = mapped_column(default=0.8)
    warn_days_left: Mapped[int] = mapped_column(Integer, default=2)
    restart_on_supplement: Mapped[bool] = mapped_column(Boolean, default=False)
    on_expiry: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Clock(Base):
    """One running limit on a case or step; `next_check_at` is the scheduler's indexed due time."""

    __tablename__ = "clock"
    __table_args__ = (
        Index("ix_clock_active_next_check", "active", "next_check_at"),
        Index("ix_clock_instance", "instance_id"),
        Index("ix_clock_task", "task_id"),
        # 电子监察 lists running clocks by due time (all, one department's, one status's); reports read
        # finished ones by period.
        Index("ix_clock_active_due", "active", "due_at", "id"),
        Index("ix_clock_department_active_due", "department_code", "active", "due_at", "id"),
        Index("ix_clock_status_due", "status", "due_at", "id"),
        Index("ix_clock_finished_at", "finished_at"),
        Index("ix_clock_process_active_due", "process_id", "active", "due_at", "id"),
        # 实时监察 of one process counts its running clocks per status from this index alone
        Index("ix_clock_process_status", "process_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    process_id: Mapped[str | None] = mapped_column(String(255))  # the case's, so 电子监察 filters without a join
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(255))
    policy_code: Mapped[str] = mapped_column(ForeignKey("clock_policy.code"))
    legal_basis: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(2))
    limit_days: Mapped[int] = mapped_column(Integer)
    extended_days: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    warn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)  # running paused warned overdue finished_*
    warning_level: Mapped[str] = mapped_column(String(8), default="none")  # none yellow red
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paused_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_working_days: Mapped[int] = mapped_column(Integer, default=0)
    responsible: Mapped[str | None] = mapped_column(String(64), index=True)
    department_code: Mapped[str | None] = mapped_column(String(64), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class ClockPause(Base):
    __tablename__ = "clock_pause"

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clock.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(64))  # 补正 专家评审 听证 检验检测 第三方征求意见 ...
    note: Mapped[str | None] = mapped_column(Text)
    paused_by: Mapped[str | None] = mapped_column(String(64))
    paused_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resumed_by: Mapped[str | None] = mapped_column(String(64))
    resumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ClockExtension(Base):
    __tablename__ = "clock_extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clock.id", ondelete="CASCADE"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(64))
    approved_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
