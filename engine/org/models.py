"""Tables of the organisation: departments, users, groups and memberships (with where each comes from),
role mappings from directory groups, deputies, the notification outbox, and the one-time codes and failed attempts that check citizens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.core.models import Base, UtcDateTime


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    # The unit's stable identifier in the office's directory (entryUUID, objectGUID); None for a
    # department typed in here. The directory sync finds the unit by it after a rename or a move.
    directory_key: Mapped[str | None] = mapped_column(String(255), unique=True)

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
    # Bumped by logout, a password change, disabling and "sign out everywhere": a session cookie
    # carrying an older number is no longer signed in (webapp/security.py).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    mobile: Mapped[str | None] = mapped_column(String(32))
    # The person's stable identifier in the directory, and what the last sync found there: present,
    # disabled or removed. Only an account the sync disabled is enabled again by the sync.
    directory_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    directory_status: Mapped[str | None] = mapped_column(String(16))
    # The identity provider's `sub` for this person once they signed in through it (统一身份认证).
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)

    department: Mapped[Department | None] = relationship()
    groups: Mapped[list[Group]] = relationship(secondary="membership", back_populates="members")


class Group(Base):
    """A role or candidate group; BPMN candidateGroups and lane names resolve to its code."""

    __tablename__ = "user_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    directory_key: Mapped[str | None] = mapped_column(String(255), unique=True)

    members: Mapped[list[User]] = relationship(secondary="membership", back_populates="groups")


class Membership(Base):
    __tablename__ = "membership"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("user_group.id", ondelete="CASCADE"), primary_key=True)
    # Where the membership comes from: 'local' (assigned in govflow), 'directory' (the person is in
    # that directory group) or 'mapping' (a role granted by the directory group named in `via`).
    # The directory sync changes only the last two.
    source: Mapped[str] = mapped_column(String(16), default="local", server_default="local")
    via: Mapped[str | None] = mapped_column(String(128))


class RoleMapping(Base):
    """A directory group whose members hold one of the roles the processes use (签发领导, admin, ...)."""

    __tablename__ = "role_mapping"
    __table_args__ = (UniqueConstraint("directory_group", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    directory_group: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(128))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Deputyship(Base):
    """An authorised deputy who may act for an absent person (e.g. a leader) during a period."""

    __tablename__ = "deputyship"

    id: Mapped[int] = mapped_column(primary_key=True)
    principal: Mapped[str] = mapped_column(String(64), index=True)
    deputy: Mapped[str] = mapped_column(String(64), index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    granted_by: Mapped[str | None] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


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


class OneTimeCode(Base):
    """A short-lived code sent to a phone (e.g. before a mailbox letter is accepted); only its hash is kept."""

    __tablename__ = "one_time_code"
    __table_args__ = (Index("ix_one_time_code_target", "purpose", "target", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class FailedAttempt(Base):
    """A wrong password or code, by key (a letter code, an address): what throttling counts."""

    __tablename__ = "failed_attempt"
    __table_args__ = (Index("ix_failed_attempt_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
