"""Tables of the process runtime: deployed files and versions, the forms read from them, instance state,
the human-task projection with its candidates, carbon copies and attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.core.models import Base, UtcDateTime


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


class TaskForm(Base):
    """A form read from a BPMN (or its form files) or generated for a task, stored once per content:
    the inbox finds it by key like a shipped form (engine/flow/forms.py, find_form)."""

    __tablename__ = "task_form"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column()
    source: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Instance(Base):
    """A running or ended case: serialized workflow state without its spec, plus a lock counter."""

    __tablename__ = "instance"
    __table_args__ = (
        # 待办 checks every visible task's case is running: an index-only probe of the running cases
        # (and the mailbox's 待办理 its process: included on PostgreSQL)
        Index("ix_instance_running", "id", postgresql_where=text("status = 'running'"),
              sqlite_where=text("status = 'running'"), postgresql_include=["process_id"]),
        # 我发起 reads a starter's newest cases in order
        Index("ix_instance_started_by_at", "started_by", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(Text)
    started_by: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_timer_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    # Steps stored as changes since `state` (engine/flow/state_store.py); 0: `state` is the whole state.
    state_deltas: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __mapper_args__ = {"version_id_col": lock_version}

    process_version: Mapped[ProcessVersion] = relationship()


class InstanceStateDelta(Base):
    """What one step changed in an instance's state, applied in `seq` order on top of `instance.state`."""

    __tablename__ = "instance_state_delta"

    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    ops: Mapped[str] = mapped_column(Text)


class HumanTask(Base):
    """Projection of a user task (open or done) for inbox queries; never read from workflow state."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_open_assignee", "status", "assignee"),
        Index("ix_human_task_instance_status", "instance_id", "status"),
        # 待办 reads each visible task's sort keys and assignee from this index alone (PostgreSQL)
        Index("ix_human_task_open_id", "id", postgresql_where=text("status = 'open'"),
              sqlite_where=text("status = 'open'"),
              postgresql_include=["assignee", "instance_id", "deadline_at", "created_at", "priority", "warning_level"]),
        # 已办 reads a person's newest completions in order
        Index("ix_human_task_done", "completed_by", "completed_at"),
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
    completed_by: Mapped[str | None] = mapped_column(String(64))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What the inbox row shows, kept from the clocks by engine.flow.task_deadlines (never set by hand).
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


class CarbonCopy(Base):
    """抄送: a read-only copy of a case sent to someone, read or not (the 抄送 folder of every inbox)."""

    __tablename__ = "carbon_copy"
    __table_args__ = (Index("ix_carbon_copy_recipient_read", "recipient", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    sender: Mapped[str | None] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Attachment(Base):
    """An uploaded file (正文, 材料, 附件), stored in the database so it commits or rolls back with its step."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[str | None] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
