"""SQLAlchemy models: the organisation, deployed definitions, instance state and its projections."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Timestamps are stored as naive UTC everywhere; the clock object converts at the edges.
UtcDateTime = DateTime(timezone=False)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so Alembic gets stable constraint names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))

    parent: Mapped[Department | None] = relationship(remote_side=[id])


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped[Department | None] = relationship()
    groups: Mapped[list[Group]] = relationship(secondary="membership", back_populates="members")


class Group(Base):
    """A role or candidate group; BPMN candidateGroups and lane names resolve to its code."""

    __tablename__ = "user_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))

    members: Mapped[list[User]] = relationship(secondary="membership", back_populates="groups")


class Membership(Base):
    __tablename__ = "membership"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("user_group.id", ondelete="CASCADE"), primary_key=True)


class DefinitionFile(Base):
    """An uploaded BPMN file, stored once per content hash, byte for byte."""

    __tablename__ = "definition_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    problems: Mapped[list[Any]] = mapped_column(default=list)
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deployed_by: Mapped[str | None] = mapped_column(String(64))


class ProcessVersion(Base):
    """One executable process of a file, numbered per process id; instances stay on their version."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), default="")
    file_id: Mapped[int] = mapped_column(ForeignKey("definition_file.id"))
    spec: Mapped[dict[str, Any]] = mapped_column()
    subprocess_specs: Mapped[dict[str, Any]] = mapped_column()
    called_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    spec_hash: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime)

    file: Mapped[DefinitionFile] = relationship()


class Instance(Base):
    """A running or ended case: serialized workflow state without its spec, plus a lock counter."""

    __tablename__ = "instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(Text)
    started_by: Mapped[str | None] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_timer_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    process_version: Mapped[ProcessVersion] = relationship()


class HumanTask(Base):
    """Projection of a user task (open or done) for inbox queries; never read from workflow state."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_open_assignee", "status", "assignee"),
        Index("ix_human_task_instance_status", "instance_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    process_id: Mapped[str] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(500), default="")
    kind: Mapped[str] = mapped_column(String(16), default="user")
    lane: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(64))
    form_key: Mapped[str | None] = mapped_column(String(500))
    priority: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(64), index=True)
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What the inbox row shows, kept from the clocks by engine.task_deadlines (never set by hand).
    deadline_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    warning_level: Mapped[str] = mapped_column(String(8), default="none", server_default="none")

    candidates: Mapped[list[TaskCandidate]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class TaskCandidate(Base):
    """Who may work a task. Kept after the task closes (it decides who may still view the case);
    `open` mirrors the task's status so an inbox reads only the live rows of a group's long history."""

    __tablename__ = "task_candidate"
    __table_args__ = (Index("ix_task_candidate_kind_value_open", "kind", "value", "open"),)

    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[str] = mapped_column(String(128), primary_key=True)
    open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class AuditEvent(Base):
    """Append-only trail: who did what, when, on which task, with which data change."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(255))
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    opinion: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


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


class Notification(Base):
    """Outbox: in-app messages and e-mails; a sender retries failed e-mails with back-off."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_pending", "channel", "status", "next_attempt_at"),
        Index("ix_notification_recipient", "recipient", "read_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(8))  # inapp email sms
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32), default="info")
    instance_id: Mapped[int | None] = mapped_column(Integer)
    clock_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending sent failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


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


# The process-specific tables share this metadata (imported last: they subclass Base).
from engine import models_gov  # noqa: E402,F401
