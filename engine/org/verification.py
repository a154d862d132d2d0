"""Citizens without accounts: one-time codes sent through the outbox, and throttling of wrong guesses."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.core.clock import CHINA_TZ, as_utc, to_db
from engine.core.errors import Conflict, ExecutionError, Forbidden, InvalidInput
from engine.org import notify
from engine.org.models import FailedAttempt, OneTimeCode

T = TypeVar("T")
CODE_TTL = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
PER_DAY = 10
PER_ADDRESS_HOUR = 10     # codes one address may ask for, to any numbers (SMS pumping)
GLOBAL_HOUR = 1000        # codes the whole installation sends in an hour
HOUR = timedelta(hours=1)
MAX_CODE_TRIES = 5
MAX_COMMENT = 500
MOBILE = re.compile(r"^1[3-9]\d{9}$")


class Throttled(Forbidden):
    """Too many wrong guesses for a key: a refusal the web edge answers with 429, not 403."""

    code = "throttled"

    def __init__(self, message: str, minutes: int):
        super().__init__(message)
        self.minutes = minutes


def check_mobile(phone: str | None, field: str = "phone") -> str:
    """A mainland mobile number, spaces and dashes ignored."""
    digits = re.sub(r"[\s-]", "", phone or "")
    if not MOBILE.match(digits):
        raise InvalidInput("请填写 11 位大陆手机号码，例如 13800138000 / enter an 11-digit mainland mobile number, "
                           "e.g. 13800138000", field=field)
    return digits


def _stamp(now: datetime) -> datetime:
    stamp = to_db(now)
    assert stamp is not None
    return stamp


def _hash(code: str, salt: str) -> str:
    return salt + "$" + hashlib.sha256((salt + code).encode()).hexdigest()


_DECOY_CODE = _hash("", "0" * 16)


def same_secret(given: str, expected: str) -> bool:
    """Comparison in constant time (hmac.compare_digest) of two texts, e.g. an ID number's last digits."""
    return hmac.compare_digest(given.encode(), expected.encode())


def send_code(session: Session, now: datetime, phone: str, purpose: str, address: str | None = None) -> OneTimeCode:
    """Queue a 6-digit code as an SMS row in the outbox: at most one a minute and ten a day per number,
    PER_ADDRESS_HOUR an hour per asking address and GLOBAL_HOUR an hour in all (each SMS costs money and
    reaches someone's phone, so an attacker rotating numbers is stopped as well)."""
    target = check_mobile(phone)
    stamp = _stamp(now)
    if address is not None:
        check_throttle(session, now, [f"sms-ip:{address}"], PER_ADDRESS_HOUR, HOUR,
                       "该网络地址获取验证码的次数过多 / too many codes were asked for from this address")
    sent = session.scalar(select(func.count()).select_from(OneTimeCode).where(OneTimeCode.created_at > stamp - HOUR))
    if (sent or 0) >= GLOBAL_HOUR:
        raise Throttled("本小时验证码发送量已达上限，请稍后再试 / the service has sent as many codes as it may this hour; "
                        "try again later", 60)
    last = session.scalar(select(func.max(OneTimeCode.created_at)).where(
        OneTimeCode.purpose == purpose, OneTimeCode.target == target))
    if last is not None and stamp - last < RESEND_AFTER:
        wait = int((RESEND_AFTER - (stamp - last)).total_seconds()) + 1
        raise Conflict(f"刚刚已向该号码发送过验证码，请 {wait} 秒后再获取 / a code was sent to this number just now; "
                       f"ask again in {wait} seconds")
    day_start = to_db(datetime.combine(as_utc(now).astimezone(CHINA_TZ).date(), datetime.min.time(), CHINA_TZ))
    today = session.scalar(select(func.count()).select_from(OneTimeCode).where(
        OneTimeCode.purpose == purpose, OneTimeCode.target == target, OneTimeCode.created_at >= day_start)) or 0
    if today >= PER_DAY:
        raise Conflict("该号码今天获取验证码的次数已达上限，请明天再试 / too many codes were sent to this number today; "
                       "try again tomorrow")
    code = f"{secrets.randbelow(10**6):06d}"
    row = OneTimeCode(purpose=purpose, target=target, code_hash=_hash(code, secrets.token_hex(8)),
                      created_at=stamp, expires_at=stamp + CODE_TTL)
    session.add(row)
    if address is not None:
        record_failure(session, now, [f"sms-ip:{address}"])  # counts the request, right or wrong
    notify.enqueue(session, now, target, "sms", "验证码", f"您的验证码是 {code}，10 分钟内有效。如非本人操作请忽略。",
                   kind="verification")
    session.flush()
    return row


def verify_code(session: Session, now: datetime, phone: str, purpose: str, code: str) -> None:
    """Accept the latest unused code once; wrong, expired or exhausted codes are refused on field `code`."""
    target = check_mobile(phone)
    row = session.scalar(select(OneTimeCode).where(
        OneTimeCode.purpose == purpose, OneTimeCode.target == target, OneTimeCode.used_at.is_(None))
        .order_by(OneTimeCode.id.desc()).limit(1))
    stamp = _stamp(now)
    if row is None or row.expires_at <= stamp or row.attempts >= MAX_CODE_TRIES:
        hmac.compare_digest(_hash((code or "").strip(), "0" * 16), _DECOY_CODE)  # the same work either way
        raise InvalidInput("验证码已过期或已使用，请重新获取 / the code has expired or was used up; ask for a new one",
                           field="code")
    salt, _ = row.code_hash.split("$", 1)
    if not hmac.compare_digest(_hash((code or "").strip(), salt), row.code_hash):
        row.attempts += 1
        session.flush()
        raise InvalidInput("验证码错误 / the code is wrong", field="code")
    row.used_at = stamp
    session.flush()


def check_throttle(session: Session, now: datetime, keys: Iterable[str], limit: int,
                   window: timedelta, reason: str = "错误次数过多 / too many wrong attempts") -> None:
    """Refuse when any key (an account, a letter code, a phone number, an address) has `limit` events
    inside the window. The counts live in the database, so every web process shares them."""
    since = to_db(now - window)
    for key in keys:
        count = session.scalar(select(func.count()).select_from(FailedAttempt).where(
            FailedAttempt.key == key[:200], FailedAttempt.at > since)) or 0
        if count >= limit:
            minutes = int(window.total_seconds() // 60)
            zh, _, en = reason.partition(" / ")
            raise Throttled(f"{zh}，请 {minutes} 分钟后再试 / {en or zh}; wait {minutes} minutes and try again", minutes)


def record_failure(session: Session, now: datetime, keys: Iterable[str]) -> None:
    for key in keys:
        session.add(FailedAttempt(key=key[:200], at=to_db(now)))
    session.flush()


def forget_failures(session: Session, now: datetime, older_than: timedelta = timedelta(days=2)) -> int:
    """Housekeeping for the scheduler: old failures no longer count."""
    result = session.execute(delete(FailedAttempt).where(FailedAttempt.at < to_db(now - older_than)))
    return int(getattr(result, "rowcount", 0) or 0)


def new_reference(session: Session, now: datetime, column: Any, prefix: str, what: str) -> str:
    """A number citizens quote (a letter code, an application number): prefix, China date, six random
    digits, unused so far in `column`."""
    day = now.astimezone(CHINA_TZ).strftime("%Y%m%d")
    for _ in range(20):
        reference = f"{prefix}{day}{secrets.randbelow(10**6):06d}"
        if session.scalar(select(column).where(column == reference).limit(1)) is None:
            return reference
    raise ExecutionError(f"未能生成不重复的编号，请重试 / could not find a free {what}; try again")


def guarded_match(session: Session, now: datetime, keys: list[str], limit: int, window: timedelta,
                  found: Callable[[], T | None], matches: Callable[[T], bool], decoy: T | None = None) -> T | None:
    """The record when the secret matches; None after recording a failure (the caller commits it),
    refused outright while any key has `limit` failures inside the window. The record counts its own.
    An unknown record is checked against `decoy`, so a wrong code costs as long as a wrong password."""
    check_throttle(session, now, keys, limit, window)
    record = found()
    if record is None and decoy is not None:
        matches(decoy)
    if record is None or not matches(record):
        record_failure(session, now, keys)
        if record is not None:
            record.failed_checks += 1  # type: ignore[attr-defined]
        return None
    return record


def check_rating(rating: Any) -> int:
    """A citizen's rating of the service: a whole number from 1 to 5."""
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput("评分应为 1（很不满意）到 5（很满意） / rate from 1 (very unsatisfied) to 5 (very satisfied)",
                           field="rating")
    return rating



def check_comment(comment: str | None) -> str:
    """A citizen's comment on a rating: refused when over-long rather than silently cut."""
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise InvalidInput(f"评价内容最多 {MAX_COMMENT} 个字（现有 {len(text)} 个） / the comment is longer than "
                           f"{MAX_COMMENT} characters ({len(text)})", field="comment")
    return text
