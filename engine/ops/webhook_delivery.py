"""Sending the outbox: the scheduler claims due deliveries, posts them signed, and records the answer.

A claim leases each delivery (its next attempt moves LEASE ahead and its attempt count goes up) and
commits before anything is sent, so no transaction stays open during HTTP and a sender that dies
mid-way only delays the delivery until the lease ends; then it is sent again with the same
webhook-id, which is why receivers treat that id as their idempotency key. On PostgreSQL the claim
skips rows another sender holds (FOR UPDATE SKIP LOCKED). A 2xx answer delivers; 410 Gone disables
the subscription; anything else is retried with exponential backoff until MAX_ATTEMPTS."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.core import audit
from engine.core.clock import to_db
from engine.core.errors import EngineError, NotFound
from engine.ops import webhook_targets as targets
from engine.ops import webhooks
from engine.ops.webhook_models import (
    DELIVERED,
    FAILED,
    GONE,
    PENDING,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

log = logging.getLogger("govflow.webhooks")
BATCH = 50
LEASE = timedelta(minutes=15)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=12)
MAX_ATTEMPTS = 12  # 30 s, 1, 2, 4 ... minutes: the last try about 1.5 days after the first
Sender = Callable[[targets.Target, dict[str, str], bytes], int]


def backoff(attempts: int) -> timedelta:
    """How long to wait after the given number of failed attempts."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    gone: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed + self.gone


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempt: int
    subscription_id: int
    url: str
    secret: str
    uid: str
    body: str


def _claim(sessions: sessionmaker[Session], now: datetime, batch: int) -> list[_Claimed]:
    with sessions.begin() as session:
        query = (select(WebhookDelivery.id).join(WebhookSubscription)
                 .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= to_db(now),
                        WebhookSubscription.enabled.is_(True))
                 .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(batch))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
        ids = list(session.scalars(query))
        if not ids:
            return []
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).values(
            attempts=WebhookDelivery.attempts + 1, last_attempt_at=to_db(now), next_attempt_at=to_db(now + LEASE)))
        rows = session.execute(
            select(WebhookDelivery.id, WebhookDelivery.attempts, WebhookSubscription.id, WebhookSubscription.url,
                   WebhookSubscription.secret, WebhookEvent.uid, WebhookEvent.body)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id))
        return [_Claimed(*row) for row in rows]


def headers_for(uid: str, timestamp: int, secret: str, body: bytes) -> dict[str, str]:
    return {"content-type": "application/json", "user-agent": "govflow-webhooks/1",
            "webhook-id": uid, "webhook-timestamp": str(timestamp),
            "webhook-signature": webhooks.sign(secret, uid, timestamp, body)}


def _attempt(item: _Claimed, now: datetime, allowed_hosts: Collection[str], send: Sender) -> tuple[int | None, str | None]:
    """(status code, None) when the receiver answered, (None, why) when the request could not be made."""
    try:
        target = targets.check(item.url, allowed_hosts)
    except EngineError as exc:
        return None, str(exc)
    body = item.body.encode()
    try:
        return send(target, headers_for(item.uid, int(now.timestamp()), item.secret, body), body), None
    except OSError as exc:
        return None, f"连接失败 / no answer: {exc}"[:500]


def _record(session: Session, now: datetime, item: _Claimed, status: int | None, error: str | None,
            report: DeliveryReport) -> None:
    row = session.get(WebhookDelivery, item.id)
    if row is None or row.status != PENDING or row.attempts != item.attempt:
        return  # replayed or taken over by another sender after the lease ran out: its result counts
    row.last_status, row.last_error = status, error
    if status is not None and 200 <= status < 300:
        row.status, row.delivered_at, row.next_attempt_at, row.last_error = DELIVERED, to_db(now), None, None
        report.delivered += 1
    elif status == 410:
        row.status, row.next_attempt_at = GONE, None
        sub = session.get(WebhookSubscription, item.subscription_id)
        if sub is not None and sub.enabled:
            sub.enabled = False
            sub.disabled_reason = "接收方答复 410 Gone（不再接收），订阅已停用 / the receiver answered 410 Gone"
            audit.record(session, "webhook_disabled", None, now, detail={"url": sub.url, "status": 410})
        report.gone += 1
    elif row.attempts >= MAX_ATTEMPTS:
        row.status, row.next_attempt_at = FAILED, None
        report.failed += 1
    else:
        row.next_attempt_at = to_db(now + backoff(row.attempts))
        report.retrying += 1
    if status is not None and row.status != DELIVERED and error is None:
        row.last_error = f"接收方答复 HTTP {status} / the receiver answered HTTP {status}"


def deliver_due(sessions: sessionmaker[Session], now: datetime, allowed_hosts: Collection[str] = (),
                send: Sender = targets.post, batch: int = BATCH, max_batches: int = 200) -> DeliveryReport:
    """Send every delivery due at `now`, batch by batch (the scheduler's tick calls this)."""
    report = DeliveryReport()
    for _ in range(max_batches):
        claimed = _claim(sessions, now, batch)
        if not claimed:
            break
        answers = [(item, *_attempt(item, now, allowed_hosts, send)) for item in claimed]
        with sessions.begin() as session:  # one commit per batch: a sender dying before it re-sends the batch
            loaded = list(session.scalars(select(WebhookDelivery).where(  # noqa: F841 (held in the identity map)
                WebhookDelivery.id.in_([item.id for item in claimed]))))
            for item, status, error in answers:
                _record(session, now, item, status, error, report)
    if report.attempted:
        log.info("webhooks: %d delivered, %d retrying, %d failed, %d gone", report.delivered, report.retrying,
                 report.failed, report.gone)
    return report


def replay(session: Session, actor: str | None, now: datetime, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again from the next tick, with the same webhook-id and a fresh count of attempts."""
    row = session.get(WebhookDelivery, delivery_id)
    if row is None:
        raise NotFound(f"投递记录 {delivery_id} 不存在 / webhook delivery {delivery_id} does not exist")
    row.status, row.attempts, row.next_attempt_at, row.last_error = PENDING, 0, to_db(now), None
    session.flush()
    audit.record(session, "webhook_replayed", actor, now, detail={"delivery": row.id, "event": row.event.uid})
    return row


def log_page(session: Session, subscription_id: int | None = None, status: str | None = None,
             limit: int = 50, offset: int = 0) -> tuple[list[Any], int]:
    """The delivery log, newest first: (delivery, event kind, event time, subscription URL) and the total."""
    query = select(WebhookDelivery, WebhookEvent.kind, WebhookEvent.occurred_at, WebhookSubscription.url) \
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id) \
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
    counted = select(func.count()).select_from(WebhookDelivery)
    if subscription_id is not None:
        query = query.where(WebhookDelivery.subscription_id == subscription_id)
        counted = counted.where(WebhookDelivery.subscription_id == subscription_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
        counted = counted.where(WebhookDelivery.status == status)
    rows = list(session.execute(query.order_by(WebhookDelivery.id.desc()).limit(limit).offset(offset)))
    return rows, int(session.scalar(counted) or 0)
