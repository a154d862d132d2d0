"""Tables of the government processes: document numbers, mailbox letters, licence applications,
extension requests and supervision orders (督办单)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.core.models import Base, UtcDateTime


class DocumentSequence(Base):
    """The last number given per document word (机关代字, e.g. 某府发) and year: gapless by row lock."""

    __tablename__ = "document_sequence"

    word: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class DocumentNumber(Base):
    """Every number given, with the instance it went to: the register (发文登记簿) and the no-gap proof."""

    __tablename__ = "document_number"
    __table_args__ = (Index("ix_document_number_word_year_serial", "word", "year", "serial", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id"), index=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    assigned_by: Mapped[str | None] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Letter(Base):
    """A mayor's-mailbox letter as citizens and folders see it, kept beside its process instance."""

    __tablename__ = "letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id"), index=True)
    writer_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(16))  # consult suggest complain
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    wants_public: Mapped[bool] = mapped_column(Boolean, default=False)
    screen_hits: Mapped[list[Any]] = mapped_column(default=list)
    folder: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    reply: Mapped[str | None] = mapped_column(Text)
    reply_unit: Mapped[str | None] = mapped_column(String(200))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_checks: Mapped[int] = mapped_column(Integer, default=0)
    # Kept while instance_id is None: why the last attempt to start the letter's process failed.
    start_error: Mapped[str | None] = mapped_column(Text)


class Application(Base):
    """A licence application (行政许可申请) as the applicant and the window see it."""

    __tablename__ = "licence_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    matter: Mapped[str] = mapped_column(String(64), index=True)
    applicant: Mapped[str] = mapped_column(String(200))
    id_tail: Mapped[str] = mapped_column(String(8))  # last digits of the ID / credit code, for queries
    phone: Mapped[str] = mapped_column(String(32), default="")
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="submitted", index=True)
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    failed_checks: Mapped[int] = mapped_column(Integer, default=0)
    # What the applicant sent, kept on the row so a failed process start loses nothing.
    description: Mapped[str] = mapped_column(Text, default="")
    materials: Mapped[list[Any]] = mapped_column(default=list)  # attachment ids handed in
    start_error: Mapped[str | None] = mapped_column(Text)


class ExtensionRequest(Base):
    """A handler's request to extend a statutory clock, waiting for the head who may approve it."""

    __tablename__ = "extension_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(Integer, index=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending approved refused
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class SupervisionOrder(Base):
    """督办单: a supervisor's written demand on a case, with its own deadline and the addressee's reply."""

    __tablename__ = "supervision_order"
    __table_args__ = (
        Index("ix_supervision_order_addressee_status", "addressee", "status"),
        Index("ix_supervision_order_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"), index=True)
    clock_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    addressee: Mapped[str] = mapped_column(String(64))
    addressee_department: Mapped[str | None] = mapped_column(String(64))  # set when sent to a department's head
    demand: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)  # end of the last day, China time
    due_days: Mapped[int] = mapped_column(Integer, default=0)  # working days given when issued
    status: Mapped[str] = mapped_column(String(12), default="open")  # open replied closed overdue
    reply: Mapped[str | None] = mapped_column(Text)
    replied_by: Mapped[str | None] = mapped_column(String(64))
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    close_note: Mapped[str | None] = mapped_column(Text)
