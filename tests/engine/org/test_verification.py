"""One-time codes through the outbox, and throttling of wrong guesses per key."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.errors import Conflict, Forbidden, InvalidInput
from engine.org import verification
from engine.org.models import Notification


def _sent_code(session: Session, phone: str) -> str:
    row = session.scalars(select(Notification).where(Notification.recipient == phone,
                                                     Notification.channel == "sms")
                          .order_by(Notification.id.desc())).first()
    assert row is not None and row.status == "pending"
    match = re.search(r"\d{6}", row.body)
    assert match
    return match.group(0)


def test_a_code_reaches_the_outbox_and_works_once(session: Session, now: datetime) -> None:
    row = verification.send_code(session, now, "138 0013 8000", "mailbox")
    code = _sent_code(session, "13800138000")
    assert code not in row.code_hash
    with pytest.raises(InvalidInput) as wrong:
        verification.verify_code(session, now, "13800138000", "mailbox", "000000" if code != "000000" else "111111")
    assert wrong.value.field == "code"
    verification.verify_code(session, now + timedelta(minutes=1), "13800138000", "mailbox", code)
    with pytest.raises(InvalidInput, match="expired or was used"):
        verification.verify_code(session, now + timedelta(minutes=2), "13800138000", "mailbox", code)


def test_codes_expire_resends_wait_and_tries_run_out(session: Session, now: datetime) -> None:
    verification.send_code(session, now, "13900139000", "mailbox")
    with pytest.raises(Conflict, match="seconds"):
        verification.send_code(session, now + timedelta(seconds=30), "13900139000", "mailbox")
    code = _sent_code(session, "13900139000")
    with pytest.raises(InvalidInput, match="expired"):
        verification.verify_code(session, now + timedelta(minutes=11), "13900139000", "mailbox", code)
    verification.send_code(session, now + timedelta(minutes=12), "13900139000", "mailbox")
    fresh = _sent_code(session, "13900139000")
    for _ in range(verification.MAX_CODE_TRIES):
        with pytest.raises(InvalidInput):
            verification.verify_code(session, now + timedelta(minutes=13), "13900139000", "mailbox", "x")
    with pytest.raises(InvalidInput, match="used up"):
        verification.verify_code(session, now + timedelta(minutes=13), "13900139000", "mailbox", fresh)


def test_ten_codes_a_day_per_number(session: Session, now: datetime) -> None:
    for i in range(verification.PER_DAY):
        verification.send_code(session, now + timedelta(minutes=2 * i), "13700137000", "mailbox")
    with pytest.raises(Conflict, match="today"):
        verification.send_code(session, now + timedelta(minutes=30), "13700137000", "mailbox")


@pytest.mark.parametrize("phone", ["12345", "23800138000", "1380013800a", ""])
def test_bad_numbers_are_refused(session: Session, now: datetime, phone: str) -> None:
    with pytest.raises(InvalidInput) as bad:
        verification.send_code(session, now, phone, "mailbox")
    assert bad.value.field == "phone"


def test_throttle_counts_failures_per_key_inside_the_window(session: Session, now: datetime) -> None:
    keys = ["letter:ML1", "ip:10.0.0.1"]
    for _ in range(4):
        verification.check_throttle(session, now, keys, limit=5, window=timedelta(minutes=15))
        verification.record_failure(session, now, keys)
    verification.record_failure(session, now, ["ip:10.0.0.1"])
    with pytest.raises(Forbidden, match="15 minutes"):
        verification.check_throttle(session, now, keys, limit=5, window=timedelta(minutes=15))
    verification.check_throttle(session, now, ["letter:ML1"], limit=5, window=timedelta(minutes=15))
    verification.check_throttle(session, now + timedelta(minutes=16), keys, limit=5, window=timedelta(minutes=15))
    assert verification.forget_failures(session, now + timedelta(days=3)) == 9
