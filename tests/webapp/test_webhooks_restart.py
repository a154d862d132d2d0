"""Every event reaches a receiver that fails 30 % of the time, across an app restart and a sender that
died mid-batch, and none is processed twice: the outbox lives in the database, not in the process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from engine.core import events
from engine.core.clock import FixedClock
from engine.core.db import make_sessionmaker
from engine.flow import definitions, instances
from engine.ops import webhook_delivery, webhooks
from engine.ops.webhook_models import WebhookDelivery, WebhookEvent
from engine.org import directory as org
from tests.conftest import NOW
from tests.engine.ops.webhook_receiver import Receiver, running
from webapp import create_app, runner
from webapp.extensions import db

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "leave_request.bpmn"
CASES = 150  # each tells that it started and that its first task opened: 300 events


def _app(url: str, clock: FixedClock) -> Flask:
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "GOVFLOW_CLOCK": clock,
                       "GOVFLOW_WEBHOOK_ALLOWED_HOSTS": ("127.0.0.1",)})


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return dict(db.session().execute(select(WebhookDelivery.status, func.count())
                                         .group_by(WebhookDelivery.status)).all())


def test_every_event_once_across_a_restart_and_a_flaky_receiver(databases: Any) -> None:
    url = databases.engine().url.render_as_string(hide_password=False)
    clock = FixedClock(NOW)
    with running(Receiver(lambda: int(clock.now().timestamp()), fail_rate=0.3)) as receiver:
        first = _app(url, clock)
        with first.app_context():
            session = db.session()
            org.create_user(session, "zhang")
            definitions.deploy(session, "admin", NOW, [(PROCESS.name, PROCESS.read_bytes())])
            receiver.secret = webhooks.create(session, "admin", NOW, receiver.url, events.KINDS, ("127.0.0.1",)).secret
            for n in range(CASES):
                instances.start(session, "zhang", NOW, "leave_request", {"days": 1}, title=f"请假{n}")
            session.commit()
            expected = session.scalar(select(func.count()).select_from(WebhookDelivery))
            uids = set(session.scalars(select(WebhookEvent.uid)))
            sessions = make_sessionmaker(db.engine)
            # A sender takes a batch, sends it and dies before writing down what the receiver said.
            for item in webhook_delivery._claim(sessions, clock.now(), 40):
                webhook_delivery._attempt(item, clock.now(), ("127.0.0.1",), webhook_delivery.targets.post)
        assert expected == 2 * CASES and len(uids) == expected
        tick = runner.make_tick(first, clock)
        for _ in range(2):
            clock.advance(minutes=1)
            tick()
        before_restart = _counts(first)
        assert 0 < before_restart.get("delivered", 0) < expected
        with first.app_context():
            db.engine.dispose()

        second = _app(url, clock)  # a new process on the same database
        assert second is not first
        tick = runner.make_tick(second, clock)
        for _ in range(60):
            if _counts(second) == {"delivered": expected}:
                break
            clock.advance(minutes=5)  # past every backoff so far, and past the dead sender's lease in time
            tick()
        assert _counts(second) == {"delivered": expected}
        with second.app_context():
            db.engine.dispose()
    assert set(receiver.processed) == uids  # every event, each processed once (a dict keyed by webhook-id)
    assert receiver.bad_signatures == 0 and receiver.failures >= expected // 5 and receiver.duplicates > 0
