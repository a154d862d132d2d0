"""Webhook subscriptions and the outbox (结果反馈): what other systems asked to hear, and every event
they asked for stored in the same transaction as the event itself, so nothing is sent that did not
happen and nothing that happened is lost. Signatures follow the Standard Webhooks convention.

Importing this module registers its listener with engine.core.events (engine.ops.assembly does)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete as delete_rows
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from engine.core import audit, events
from engine.core.clock import to_db
from engine.core.errors import InvalidInput, NotFound
from engine.ops import webhook_targets as targets
from engine.ops.webhook_models import PENDING, WebhookDelivery, WebhookEvent, WebhookSubscription

SECRET_PREFIX = "whsec_"
MAX_DESCRIPTION = 200


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header: v1,<base64 HMAC-SHA256 of "id.timestamp.body" under the secret's key>."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def parse_kinds(kinds: Iterable[str]) -> list[str]:
    """The chosen event kinds, known and without repeats, or a refusal naming the field."""
    chosen = []
    for kind in kinds:
        kind = kind.strip()
        if not kind:
            continue
        if kind not in events.KINDS:
            raise InvalidInput(f"「事件」{kind} 不是可订阅的事件，可选：{', '.join(events.KINDS)} / kinds: {kind} is not an "
                               f"event kind; choose from {', '.join(events.KINDS)}", field="kinds")
        if kind not in chosen:
            chosen.append(kind)
    if not chosen:
        raise InvalidInput("「事件」请至少选择一种事件 / kinds: choose at least one event kind", field="kinds")
    return chosen


def create(session: Session, actor: str | None, now: datetime, url: str, kinds: Iterable[str],
           allowed_hosts: Collection[str], description: str = "") -> WebhookSubscription:
    """A new, enabled subscription with a fresh secret (the caller shows it once)."""
    target_url = url.strip()
    targets.check(target_url, allowed_hosts)
    chosen = parse_kinds(kinds)
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"「说明」不能超过 {MAX_DESCRIPTION} 个字 / description: at most {MAX_DESCRIPTION} characters",
                           field="description")
    sub = WebhookSubscription(url=target_url, description=description, secret=new_secret(), kinds=chosen,
                              enabled=True, created_by=actor, created_at=to_db(now))
    session.add(sub)
    session.flush()
    audit.record(session, "webhook_created", actor, now, detail={"url": target_url, "kinds": chosen})
    return sub


def get(session: Session, subscription_id: int) -> WebhookSubscription:
    sub = session.get(WebhookSubscription, subscription_id)
    if sub is None:
        raise NotFound(f"订阅 {subscription_id} 不存在 / webhook subscription {subscription_id} does not exist")
    return sub


def set_enabled(session: Session, actor: str | None, now: datetime, subscription_id: int, enabled: bool,
                allowed_hosts: Collection[str]) -> WebhookSubscription:
    """Pause or resume a subscription; resuming checks its URL again, as the allowed hosts may have changed."""
    sub = get(session, subscription_id)
    if enabled:
        targets.check(sub.url, allowed_hosts)
    sub.enabled, sub.disabled_reason = enabled, None
    session.flush()
    audit.record(session, "webhook_enabled" if enabled else "webhook_disabled", actor, now,
                 detail={"url": sub.url})
    return sub


def delete(session: Session, actor: str | None, now: datetime, subscription_id: int) -> None:
    """Remove the subscription with its deliveries (the audit trail keeps that it existed)."""
    sub = get(session, subscription_id)
    session.execute(delete_rows(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id))
    session.delete(sub)
    session.flush()
    audit.record(session, "webhook_deleted", actor, now, detail={"url": sub.url})


def subscriptions(session: Session) -> list[tuple[WebhookSubscription, dict[str, int]]]:
    """Every subscription with its deliveries counted by status, oldest first."""
    counts: dict[int, dict[str, int]] = {}
    for sub_id, status, count in session.execute(
            select(WebhookDelivery.subscription_id, WebhookDelivery.status, func.count())
            .group_by(WebhookDelivery.subscription_id, WebhookDelivery.status)):
        counts.setdefault(sub_id, {})[status] = count
    return [(sub, counts.get(sub.id, {}))
            for sub in session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))]


# ------------------------------------------------------------------------------------------------
# The outbox, written by the events listener in the transaction of whatever happened.

_LISTENING = select(WebhookSubscription.id, WebhookSubscription.kinds).where(WebhookSubscription.enabled.is_(True))
_INSERT_EVENT = insert(WebhookEvent)
_INSERT_DELIVERY = insert(WebhookDelivery)


def body_of(kind: str, now: datetime, data: dict[str, Any]) -> str:
    """The JSON body receivers get: {"type", "timestamp", "data"} (the Standard Webhooks shape)."""
    return json.dumps({"type": kind, "timestamp": events.moment(now), "data": data}, ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"), default=str)


def store(session: Session, now: datetime, happened: Sequence[events.Event]) -> None:
    """One outbox event per event some enabled subscription wants, and a pending delivery for each."""
    listening = session.connection().execute(_LISTENING).all()
    if not listening:
        return
    connection, stamp = session.connection(), to_db(now)
    for event in happened:
        wanting = [sub_id for sub_id, kinds in listening if event.kind in (kinds or ())]
        if not wanting:
            continue
        result = connection.execute(_INSERT_EVENT, {"uid": "msg_" + uuid.uuid4().hex, "kind": event.kind,
                                                    "occurred_at": stamp,
                                                    "body": body_of(event.kind, now, event.data)})
        event_id = result.inserted_primary_key[0]  # type: ignore[index]
        connection.execute(_INSERT_DELIVERY, [
            {"event_id": event_id, "subscription_id": sub_id, "status": PENDING, "attempts": 0,
             "next_attempt_at": stamp, "last_attempt_at": None, "last_status": None, "last_error": None,
             "delivered_at": None} for sub_id in wanting])


events.listen("webhooks", store)
