"""Events reach the webhook outbox in the transaction of what happened, for the kinds subscribed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks import lifecycle as clocks
from engine.clocks.models import Clock
from engine.clocks.policies import seed_policies
from engine.core import events
from engine.core.clock import CHINA_TZ
from engine.core.db import make_sessionmaker
from engine.core.errors import InvalidInput
from engine.core.models import AuditEvent
from engine.flow import definitions, instances, tasks
from engine.ops import scheduler, webhooks
from engine.ops.webhook_models import WebhookDelivery, WebhookEvent, WebhookSubscription
from engine.org import directory as org

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn"
LOCAL = ("127.0.0.1",)
URL = "http://127.0.0.1:9/hooks"


def at(y: int, m: int, d: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=CHINA_TZ).astimezone(UTC)


@pytest.fixture
def world(session: Session, now: datetime) -> Session:
    seed_policies(session)
    workdays.seed_official(session, now)
    org.create_user(session, "clerk", department="xzsp")
    org.create_user(session, "registrar", department="window")
    path = FIXTURES / "clock_review.bpmn"
    definitions.deploy(session, "designer", at(2026, 9, 1), [(path.name, path.read_bytes())])
    session.flush()
    return session


def _outbox(session: Session, sub: WebhookSubscription) -> list[dict]:
    rows = session.scalars(select(WebhookEvent.body).join(WebhookDelivery)
                           .where(WebhookDelivery.subscription_id == sub.id).order_by(WebhookEvent.id))
    return [json.loads(body) for body in rows]


def _open(session: Session, instance_id: int, element: str) -> str:
    return next(t.id for t in tasks.open_for_instance(session, instance_id) if t.element_id == element)


def test_a_case_from_start_to_end_is_told_as_it_happens(world: Session) -> None:
    everything = webhooks.create(world, "admin", at(2026, 9, 1), URL, events.KINDS, LOCAL, "全部事件")
    ends = webhooks.create(world, "admin", at(2026, 9, 1), URL, [events.INSTANCE_ENDED], LOCAL)
    paused = webhooks.create(world, "admin", at(2026, 9, 1), URL, events.KINDS, LOCAL)
    webhooks.set_enabled(world, "admin", at(2026, 9, 1), paused.id, False, LOCAL)
    inst = instances.start(world, "registrar", at(2026, 9, 21, 10), "clock_review", {"title": "营业执照申请"})
    decide = _open(world, inst.id, "decide")
    tasks.complete(world, "clerk", at(2026, 9, 22), decide, {})
    tasks.complete(world, "clerk", at(2026, 9, 23), _open(world, inst.id, "archive"), {})
    told = _outbox(world, everything)
    assert [body["type"] for body in told] == ["instance.started", "task.created", "task.completed", "task.created",
                                               "task.completed", "instance.ended"]
    assert told[0]["data"] == {"instance_id": inst.id, "process_id": "clock_review", "version": 1,
                               "title": "营业执照申请", "started_by": "registrar"}
    assert told[1]["data"]["task_id"] == decide and told[1]["data"]["assignee"] == "clerk"
    assert told[2]["data"]["completed_by"] == "clerk" and told[2]["timestamp"] == "2026-09-22T01:00:00Z"
    assert told[-1]["data"]["status"] == "completed"
    assert [body["type"] for body in _outbox(world, ends)] == ["instance.ended"]
    assert _outbox(world, paused) == []
    # One event row per event, whatever the number of subscriptions that want it.
    assert world.scalar(select(func.count()).select_from(WebhookEvent)) == 6


def test_what_rolls_back_is_never_sent(world: Session) -> None:
    sub = webhooks.create(world, "admin", at(2026, 9, 1), URL, events.KINDS, LOCAL)
    savepoint = world.begin_nested()
    instances.start(world, "registrar", at(2026, 9, 21, 10), "clock_review", {"title": "撤销"})
    assert len(_outbox(world, sub)) == 2
    savepoint.rollback()
    assert _outbox(world, sub) == []
    inst = instances.start(world, "registrar", at(2026, 9, 21, 10), "clock_review", {"title": "驳回"})
    instances.cancel(world, "registrar", at(2026, 9, 22), inst.id, "申请人撤回")
    last = _outbox(world, sub)[-1]
    assert (last["type"], last["data"]["status"], last["data"]["reason"]) == ("instance.ended", "cancelled", "申请人撤回")


def test_clock_warnings_and_overdue_are_events(world: Session) -> None:
    sub = webhooks.create(world, "admin", at(2026, 9, 1), URL, [events.CLOCK_WARNED, events.CLOCK_OVERDUE], LOCAL)
    inst = instances.start(world, "registrar", at(2026, 9, 21, 10), "clock_review", {"title": "营业执照申请"})
    step = world.scalars(select(Clock).where(Clock.instance_id == inst.id, Clock.element_id == "decide")).one()
    clocks.check_clock(world, at(2026, 10, 21), step.id)
    clocks.check_clock(world, at(2026, 10, 22), step.id)  # nothing new: no event
    clocks.check_clock(world, at(2026, 10, 27, 0, 1), step.id)
    told = _outbox(world, sub)
    assert [(body["type"], body["data"]["level"]) for body in told if body["data"]["clock_id"] == step.id] == [
        ("clock.warned", "yellow"), ("clock.overdue", "red")]
    assert told[0]["data"]["responsible"] == "clerk" and "第四十二条" in told[0]["data"]["legal_basis"]


def test_the_scheduler_checking_clocks_in_bulk_tells_the_same(fresh_engine, now: datetime) -> None:
    sessions = make_sessionmaker(fresh_engine())
    with sessions.begin() as session:
        seed_policies(session)
        workdays.seed_official(session, now)
        org.create_user(session, "clerk", department="xzsp")
        path = FIXTURES / "clock_review.bpmn"
        definitions.deploy(session, "designer", at(2026, 9, 1), [(path.name, path.read_bytes())])
        sub_id = webhooks.create(session, "admin", at(2026, 9, 1), URL, [events.CLOCK_WARNED], LOCAL).id
        for n in range(3):
            instances.start(session, "clerk", at(2026, 9, 21, 10), "clock_review", {"title": f"申请{n}"})
    report = scheduler.tick(sessions, at(2026, 10, 21))
    assert len(report.clocks) >= 3
    with sessions.begin() as session:
        sub = session.get(WebhookSubscription, sub_id)
        told = _outbox(session, sub)
        levels = [e.detail["to"] for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "clock_level"))]
    assert len(told) == levels.count("yellow") == 3
    assert {body["data"]["level"] for body in told} == {"yellow"}


def test_subscriptions_refuse_bad_input_naming_the_field(world: Session) -> None:
    with pytest.raises(InvalidInput) as bad:
        webhooks.create(world, "admin", at(2026, 9, 1), URL, [], LOCAL)
    assert bad.value.field == "kinds" and "至少选择一种" in str(bad.value)
    with pytest.raises(InvalidInput) as bad:
        webhooks.create(world, "admin", at(2026, 9, 1), URL, ["case.exploded"], LOCAL)
    assert bad.value.field == "kinds" and "case.exploded" in str(bad.value) and "instance.started" in str(bad.value)
    with pytest.raises(InvalidInput) as bad:
        webhooks.create(world, "admin", at(2026, 9, 1), URL, events.KINDS, LOCAL, "说" * 201)
    assert bad.value.field == "description"
    with pytest.raises(InvalidInput) as bad:
        webhooks.create(world, "admin", at(2026, 9, 1), URL, events.KINDS, ())
    assert bad.value.field == "url" and "GOVFLOW_WEBHOOK_ALLOWED_HOSTS" in str(bad.value)
    assert world.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


def test_a_secret_is_new_for_each_subscription_and_a_deleted_one_takes_its_deliveries(world: Session) -> None:
    one = webhooks.create(world, "admin", at(2026, 9, 1), URL, events.KINDS, LOCAL)
    two = webhooks.create(world, "admin", at(2026, 9, 1), URL, events.KINDS, LOCAL)
    assert one.secret.startswith("whsec_") and one.secret != two.secret and len(one.secret) == 6 + 32
    instances.start(world, "registrar", at(2026, 9, 21, 10), "clock_review", {"title": "x"})
    webhooks.delete(world, "admin", at(2026, 9, 2), one.id)
    assert world.scalar(select(func.count()).select_from(WebhookDelivery)) == 2  # two's only
    assert [e.action for e in world.scalars(select(AuditEvent).where(AuditEvent.action.like("webhook_%")))] == [
        "webhook_created", "webhook_created", "webhook_deleted"]
