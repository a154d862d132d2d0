"""The scheduler's webhook deliveries reach a real HTTP receiver on loopback, signed so that an
independent check accepts them, retried with backoff on the injected clock, and never processed twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.core import events
from engine.core.clock import FixedClock, to_db
from engine.core.db import make_sessionmaker
from engine.core.models import AuditEvent
from engine.flow import definitions, instances
from engine.ops import webhook_delivery as delivery
from engine.ops import webhooks
from engine.ops.webhook_models import WebhookDelivery, WebhookSubscription
from engine.org import directory as org
from tests.conftest import DATABASE, NOW
from tests.engine.ops.webhook_receiver import Receiver, running, verify

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn" / "wait_timer.bpmn"
LOCAL = ("127.0.0.1",)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sessions(fresh_engine) -> sessionmaker[Session]:
    made = make_sessionmaker(fresh_engine())
    with made.begin() as session:
        org.create_user(session, "starter")
        definitions.deploy(session, "starter", NOW, [(FIXTURE.name, FIXTURE.read_bytes())])
    return made


@pytest.fixture
def receiver(clock: FixedClock) -> Iterator[Receiver]:
    with running(Receiver(lambda: int(clock.now().timestamp()))) as found:
        yield found


def subscribe(sessions: sessionmaker[Session], receiver: Receiver, kinds: tuple[str, ...] = events.KINDS) -> int:
    with sessions.begin() as session:
        sub = webhooks.create(session, "admin", NOW, receiver.url, kinds, LOCAL, "测试接收方")
        receiver.secret = sub.secret
        return sub.id


def start_cases(sessions: sessionmaker[Session], clock: FixedClock, count: int) -> None:
    with sessions.begin() as session:
        for n in range(count):
            instances.start(session, "starter", clock.now(), "wait_timer", {"title": f"案件{n}"})


def statuses(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions.begin() as session:
        return dict(session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)).all())


def test_a_delivery_is_signed_so_an_independent_check_accepts_it(sessions, clock, receiver) -> None:
    subscribe(sessions, receiver, (events.INSTANCE_STARTED,))
    start_cases(sessions, clock, 1)
    clock.advance(seconds=5)
    report = delivery.deliver_due(sessions, clock.now(), LOCAL)
    assert (report.delivered, receiver.requests, receiver.bad_signatures) == (1, 1, 0)
    [(msg_id, body)] = receiver.processed.items()
    assert msg_id.startswith("msg_") and body["type"] == "instance.started" and body["timestamp"] == "2026-11-02T01:00:00Z"
    assert body["data"]["process_id"] == "wait_timer" and body["data"]["title"] == "案件0"
    # The same headers under another secret, a changed body or a stale timestamp are refused.
    stamp = int(clock.now().timestamp())
    raw = json.dumps(body).encode()
    headers = delivery.headers_for(msg_id, stamp, receiver.secret, raw)
    assert verify(receiver.secret, headers, raw, stamp)
    assert not verify(webhooks.new_secret(), headers, raw, stamp)
    assert not verify(receiver.secret, headers, raw + b" ", stamp)
    assert not verify(receiver.secret, headers, raw, stamp + 301)
    with sessions.begin() as session:
        row = session.scalars(select(WebhookDelivery)).one()
        assert (row.status, row.attempts, row.last_status, row.delivered_at) == ("delivered", 1, 204, to_db(clock.now()))


def test_failures_are_retried_with_exponential_backoff_then_given_up_and_replayed(sessions, clock, receiver) -> None:
    subscribe(sessions, receiver, (events.INSTANCE_STARTED,))
    start_cases(sessions, clock, 1)
    receiver.fail_rate = 2.0  # every request fails, before processing
    first = clock.now()
    assert delivery.deliver_due(sessions, first, LOCAL).retrying == 1
    waits = []
    for attempt in range(2, delivery.MAX_ATTEMPTS + 1):
        wait = delivery.backoff(attempt - 1)
        clock.advance(seconds=wait.total_seconds() - 1)
        assert delivery.deliver_due(sessions, clock.now(), LOCAL).attempted == 0  # not due yet
        clock.advance(seconds=1)
        report = delivery.deliver_due(sessions, clock.now(), LOCAL)
        assert report.attempted == 1
        waits.append(wait)
    assert waits[:4] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert max(waits) <= delivery.LONGEST_WAIT and report.failed == 1
    assert receiver.requests == delivery.MAX_ATTEMPTS and receiver.processed == {}
    assert statuses(sessions) == {"failed": 1}
    with sessions.begin() as session:
        row = session.scalars(select(WebhookDelivery)).one()
        assert row.last_status == 500 and "HTTP 500" in row.last_error
        delivery.replay(session, "admin", clock.now(), row.id)
    receiver.fail_rate = 0.0
    assert delivery.deliver_due(sessions, clock.now(), LOCAL).delivered == 1
    assert len(receiver.processed) == 1 and statuses(sessions) == {"delivered": 1}


def test_410_gone_disables_the_subscription(sessions, clock, receiver) -> None:
    sub_id = subscribe(sessions, receiver, (events.INSTANCE_STARTED,))
    start_cases(sessions, clock, 3)
    receiver.answer = 410
    report = delivery.deliver_due(sessions, clock.now(), LOCAL, batch=1)
    assert (report.gone, receiver.requests) == (1, 1)  # the other two are not sent to a gone receiver
    start_cases(sessions, clock, 1)  # and nothing new is stored for it
    with sessions.begin() as session:
        sub = session.get(WebhookSubscription, sub_id)
        assert not sub.enabled and "410" in sub.disabled_reason
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 3
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "webhook_disabled")).all()
    assert statuses(sessions) == {"gone": 1, "pending": 2}
    with sessions.begin() as session:  # once the receiver is back, resuming sends what waited
        webhooks.set_enabled(session, "admin", clock.now(), sub_id, True, LOCAL)
    receiver.answer = 204
    assert delivery.deliver_due(sessions, clock.now(), LOCAL).delivered == 2


def test_a_sender_dying_after_sending_resends_the_same_id_once_its_lease_ends(sessions, clock, receiver) -> None:
    subscribe(sessions, receiver, (events.INSTANCE_STARTED,))
    start_cases(sessions, clock, 2)
    for item in delivery._claim(sessions, clock.now(), 10):  # sent, then the process died before recording
        delivery._attempt(item, clock.now(), LOCAL, delivery.targets.post)
    assert len(receiver.processed) == 2
    clock.advance(seconds=delivery.LEASE.total_seconds() - 1)
    assert delivery.deliver_due(sessions, clock.now(), LOCAL).attempted == 0  # still leased
    clock.advance(seconds=1)
    assert delivery.deliver_due(sessions, clock.now(), LOCAL).delivered == 2
    assert (len(receiver.processed), receiver.duplicates) == (2, 2)  # the idempotency key held
    assert statuses(sessions) == {"delivered": 2}


def test_a_target_no_longer_allowed_is_not_contacted(sessions, clock, receiver) -> None:
    subscribe(sessions, receiver, (events.INSTANCE_STARTED,))
    start_cases(sessions, clock, 1)
    report = delivery.deliver_due(sessions, clock.now(), ())  # the administrator took 127.0.0.1 off the list
    assert (report.retrying, receiver.requests) == (1, 0)
    with sessions.begin() as session:
        row = session.scalars(select(WebhookDelivery)).one()
        assert row.last_status is None and "GOVFLOW_WEBHOOK_ALLOWED_HOSTS" in row.last_error


def test_a_flaky_receiver_gets_every_event_processed_exactly_once(sessions, clock, receiver) -> None:
    subscribe(sessions, receiver)
    receiver.fail_rate = 0.3
    start_cases(sessions, clock, 300)  # a few hundred events (each case tells that it started)
    with sessions.begin() as session:
        expected = session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert expected == 300
    for _ in range(40):
        delivery.deliver_due(sessions, clock.now(), LOCAL)
        if statuses(sessions) == {"delivered": expected}:
            break
        clock.advance(minutes=5)
    assert statuses(sessions) == {"delivered": expected}
    assert len(receiver.processed) == expected and receiver.bad_signatures == 0
    assert receiver.failures > expected // 5 and receiver.duplicates > 0


@pytest.mark.postgres_only
@pytest.mark.skipif(DATABASE != "postgresql", reason="row locking with SKIP LOCKED needs PostgreSQL")
def test_two_senders_on_one_database_never_send_the_same_delivery(sessions, clock, receiver) -> None:
    subscribe(sessions, receiver, (events.INSTANCE_STARTED,))
    start_cases(sessions, clock, 200)
    reports: list[delivery.DeliveryReport] = []
    gate = threading.Barrier(2)

    def sender() -> None:
        gate.wait()
        reports.append(delivery.deliver_due(sessions, clock.now(), LOCAL, batch=10))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(report.delivered for report in reports) == 200 and all(r.delivered for r in reports)
    assert (len(receiver.processed), receiver.duplicates, receiver.requests) == (200, 0, 200)
