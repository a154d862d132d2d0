"""The outbox: e-mails reach a real SMTP server in Chinese; a dead server means retries with back-off."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from engine.org import notify
from engine.org.models import Notification
from engine.org.notify import SmtpSettings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Inbox:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _mail(session: Session, now: datetime, to: str = "clerk@example.gov.cn") -> Notification:
    row = notify.enqueue(session, now, to, notify.EMAIL, "【黄牌预警】营业执照申请：行政许可决定剩余办理时间不多",
                         "到期时间：2026年10月26日 23:59\n依据：《中华人民共和国行政许可法》第四十二条", kind="clock_yellow")
    session.flush()
    return row


def test_email_reaches_a_real_smtp_server_in_chinese(session: Session, now: datetime,
                                                     smtp_server: tuple[_Inbox, int]) -> None:
    inbox, port = smtp_server
    row = _mail(session, now)
    settings = SmtpSettings(host="127.0.0.1", port=port, sender="govflow@example.gov.cn")
    report = notify.send_pending(session, now, settings)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert row.status == notify.SENT and row.sent_at is not None and row.attempts == 1
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["clerk@example.gov.cn"]
    assert message["Subject"] == "【黄牌预警】营业执照申请：行政许可决定剩余办理时间不多"
    assert message["From"] == "govflow@example.gov.cn"
    assert "行政许可法" in message.get_content()
    # A second pass finds nothing left to send.
    assert notify.send_pending(session, now, settings).sent == 0
    assert len(inbox.messages) == 1


def test_dead_server_retries_with_backoff_then_gives_up(session: Session, now: datetime) -> None:
    row = _mail(session, now)
    settings = SmtpSettings(host="127.0.0.1", port=_free_port(), max_attempts=3, retry_seconds=60, timeout=2)
    report = notify.send_pending(session, now, settings)
    assert (report.sent, report.retrying) == (0, 1)
    assert row.status == notify.PENDING and row.attempts == 1 and "cannot connect" in (row.last_error or "")
    assert row.next_attempt_at == (now + timedelta(seconds=60)).replace(tzinfo=None)
    # Not due yet: nothing is tried.
    assert notify.send_pending(session, now + timedelta(seconds=30), settings).retrying == 0
    assert row.attempts == 1
    later = now + timedelta(seconds=61)
    notify.send_pending(session, later, settings)
    assert row.attempts == 2
    assert row.next_attempt_at == (later + timedelta(seconds=120)).replace(tzinfo=None)
    report = notify.send_pending(session, later + timedelta(seconds=121), settings)
    assert report.failed == 1 and row.status == notify.FAILED and row.next_attempt_at is None
    assert notify.send_pending(session, later + timedelta(days=1), settings).errors == []


def test_retry_succeeds_when_the_server_is_back(session: Session, now: datetime,
                                                smtp_server: tuple[_Inbox, int]) -> None:
    inbox, port = smtp_server
    row = _mail(session, now, "boss@example.gov.cn")
    notify.send_pending(session, now, SmtpSettings(host="127.0.0.1", port=_free_port(), timeout=2))
    assert row.attempts == 1 and row.status == notify.PENDING
    report = notify.send_pending(session, now + timedelta(minutes=5), SmtpSettings(host="127.0.0.1", port=port))
    assert report.sent == 1 and row.status == notify.SENT and row.attempts == 2
    assert inbox.messages[0][0] == ["boss@example.gov.cn"]


def test_inapp_list_unread_count_and_mark_read(session: Session, now: datetime) -> None:
    first = notify.enqueue(session, now, "clerk", notify.INAPP, "【红牌超期】甲", "正文")
    notify.enqueue(session, now, "clerk", notify.INAPP, "【黄牌预警】乙", "正文")
    notify.enqueue(session, now, "boss", notify.INAPP, "【黄牌预警】乙", "正文")
    session.flush()
    assert notify.unread_count(session, "clerk") == 2
    assert [n.subject for n in notify.list_inapp(session, "clerk")] == ["【黄牌预警】乙", "【红牌超期】甲"]
    assert notify.mark_read(session, "clerk", now, [first.id]) == 1
    assert notify.unread_count(session, "clerk") == 1
    assert [n.subject for n in notify.list_inapp(session, "clerk", unread_only=True)] == ["【黄牌预警】乙"]
    # Nobody marks someone else's messages.
    assert notify.mark_read(session, "boss", now, [first.id]) == 0
    assert notify.mark_read(session, "clerk", now) == 1
    assert notify.unread_count(session, "clerk") == 0 and notify.unread_count(session, "boss") == 1


def test_smtp_settings_from_env() -> None:
    settings = SmtpSettings.from_env({"GOVFLOW_SMTP_HOST": "mail.gov.cn", "GOVFLOW_SMTP_PORT": "2525",
                                      "GOVFLOW_SMTP_FROM": "noreply@gov.cn"})
    assert (settings.host, settings.port, settings.sender) == ("mail.gov.cn", 2525, "noreply@gov.cn")
    with pytest.raises(Exception, match="port number"):
        SmtpSettings.from_env({"GOVFLOW_SMTP_PORT": "abc"})
