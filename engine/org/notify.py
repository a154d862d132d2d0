"""Notification outbox: in-app messages and e-mails written in the caller's transaction, sent later.

E-mail delivery is at-least-once: a pass sends, then marks rows sent; the edge commits after the pass,
so a crash between the two sends a message again rather than losing it.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from engine.core.clock import as_utc, to_db
from engine.core.errors import InvalidInput
from engine.org.models import Notification, User

INAPP, EMAIL = "inapp", "email"
PENDING, SENT, FAILED = "pending", "sent", "failed"


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send; back-off doubles from `retry_seconds` up to `max_retry_seconds`."""

    host: str = "localhost"
    port: int = 25
    sender: str = "govflow@localhost"
    timeout: float = 10.0
    max_attempts: int = 6
    retry_seconds: int = 60
    max_retry_seconds: int = 6 * 3600

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings:
        """GOVFLOW_SMTP_HOST / _PORT / _FROM, read by the edge (CLI, scheduler) and passed in."""
        env = os.environ if environ is None else environ
        port = env.get("GOVFLOW_SMTP_PORT", "25")
        if not port.isdigit():
            raise InvalidInput(f"GOVFLOW_SMTP_PORT must be a port number, not '{port}'", field="GOVFLOW_SMTP_PORT")
        return cls(host=env.get("GOVFLOW_SMTP_HOST", "localhost"), port=int(port),
                   sender=env.get("GOVFLOW_SMTP_FROM", "govflow@localhost"))


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def outbox_values(now: datetime, recipient: str, channel: str, subject: str, body: str, *, kind: str = "info",
                  instance_id: int | None = None, clock_id: int | None = None) -> dict[str, Any]:
    """The column values of one outbox row (enqueue adds it as an object, bulk writers insert it)."""
    stamp = to_db(now)
    return {"recipient": recipient, "channel": channel, "subject": subject[:500], "body": body, "kind": kind,
            "instance_id": instance_id, "clock_id": clock_id, "created_at": stamp,
            "status": SENT if channel == INAPP else PENDING, "attempts": 0,
            "sent_at": stamp if channel == INAPP else None,
            "next_attempt_at": None if channel == INAPP else stamp}


def enqueue(session: Session, now: datetime, recipient: str, channel: str, subject: str, body: str, *,
            kind: str = "info", instance_id: int | None = None, clock_id: int | None = None) -> Notification:
    """One outbox row; in-app rows are delivered by being there, e-mails wait for send_pending."""
    row = Notification(**outbox_values(now, recipient, channel, subject, body, kind=kind, instance_id=instance_id,
                                       clock_id=clock_id))
    session.add(row)
    return row


def user_channels(username: str, email: str | None) -> list[tuple[str, str]]:
    """(recipient, channel) pairs for one user: in-app always, e-mail too when the user has an address."""
    return [(username, INAPP), (email, EMAIL)] if email else [(username, INAPP)]


def notify_user(session: Session, now: datetime, user: User, subject: str, body: str, *, kind: str = "info",
                instance_id: int | None = None, clock_id: int | None = None) -> list[Notification]:
    """In-app always; e-mail too when the user has an address."""
    return [enqueue(session, now, recipient, channel, subject, body, kind=kind, instance_id=instance_id,
                    clock_id=clock_id) for recipient, channel in user_channels(user.username, user.email)]


def notify_rows(now: datetime, username: str, email: str | None, subject: str, body: str, *, kind: str = "info",
                instance_id: int | None = None, clock_id: int | None = None) -> list[dict[str, Any]]:
    """What notify_user adds, as column values for one bulk INSERT (the scheduler's set-based check)."""
    return [outbox_values(now, recipient, channel, subject, body, kind=kind, instance_id=instance_id,
                          clock_id=clock_id) for recipient, channel in user_channels(username, email)]


def send_pending(session: Session, now: datetime, smtp_settings: SmtpSettings, limit: int = 100) -> SendReport:
    """One outbox pass over due e-mails (rows other senders hold are skipped on PostgreSQL)."""
    stamp = to_db(now)
    rows = list(session.scalars(
        select(Notification).where(Notification.channel == EMAIL, Notification.status == PENDING,
                                   or_(Notification.next_attempt_at.is_(None),
                                       Notification.next_attempt_at <= stamp))
        .order_by(Notification.next_attempt_at, Notification.id).limit(limit)
        .with_for_update(skip_locked=True)))
    report = SendReport()
    if not rows:
        return report
    try:
        smtp = smtplib.SMTP(smtp_settings.host, smtp_settings.port, timeout=smtp_settings.timeout)
    except (OSError, smtplib.SMTPException) as exc:
        reason = f"cannot connect to {smtp_settings.host}:{smtp_settings.port}: {exc}"
        for row in rows:
            _failed_attempt(row, now, smtp_settings, reason, report)
        session.flush()
        return report
    try:
        for row in rows:
            try:
                smtp.send_message(_message(row, smtp_settings.sender, now))
            except (OSError, smtplib.SMTPException) as exc:
                _failed_attempt(row, now, smtp_settings, f"{type(exc).__name__}: {exc}", report)
                continue
            row.status, row.sent_at, row.last_error = SENT, stamp, None
            row.attempts += 1
            report.sent += 1
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    session.flush()
    return report


def _message(row: Notification, sender: str, now: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = row.recipient
    msg["Subject"] = row.subject
    msg["Date"] = formatdate(as_utc(now).timestamp(), localtime=False)
    msg["Message-ID"] = make_msgid(idstring=f"govflow.{row.id}")
    msg.set_content(row.body, charset="utf-8")
    return msg


def _failed_attempt(row: Notification, now: datetime, settings: SmtpSettings, reason: str,
                    report: SendReport) -> None:
    """Exponential back-off; after `max_attempts` the row is given up as failed."""
    row.attempts += 1
    row.last_error = reason[:2000]
    report.errors.append(f"notification {row.id}: {reason}")
    if row.attempts >= settings.max_attempts:
        row.status, row.next_attempt_at = FAILED, None
        report.failed += 1
        return
    delay = min(settings.retry_seconds * 2 ** (row.attempts - 1), settings.max_retry_seconds)
    row.next_attempt_at = to_db(as_utc(now) + timedelta(seconds=delay))
    report.retrying += 1


def unread_query() -> Select[Any]:
    """How many in-app messages the user (bind parameter `n_user`) has not read: a query, so a page
    header can ask it together with its other counts in one round trip."""
    return _UNREAD


_UNREAD = select(func.count()).select_from(Notification).where(
    Notification.recipient == bindparam("n_user"), Notification.channel == INAPP, Notification.read_at.is_(None))


def unread_count(session: Session, username: str) -> int:
    return session.scalar(_UNREAD, {"n_user": username}) or 0


def list_inapp(session: Session, username: str, unread_only: bool = False, limit: int = 50) -> list[Notification]:
    """A user's in-app messages, newest first."""
    query = select(Notification).where(Notification.recipient == username, Notification.channel == INAPP)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, actor: str, now: datetime, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own messages read (all when no ids); other people's rows are never touched."""
    query = update(Notification).where(Notification.recipient == actor, Notification.channel == INAPP,
                                       Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    result = session.execute(query.values(read_at=to_db(now)).execution_options(synchronize_session="fetch"))
    return int(getattr(result, "rowcount", 0) or 0)
