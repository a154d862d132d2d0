"""Process tests: the demo organisation, official calendar and policies, and a driver that can reload."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks.models import Clock
from engine.clocks.policies import seed_policies
from engine.core.clock import CHINA_TZ
from engine.flow import definitions, instances, tasks
from engine.flow.models import HumanTask
from engine.org import demo as demo_org
from tests.conftest import forget_live_objects

ROOT = Path(__file__).resolve().parent.parent.parent
PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"


@dataclass
class Gov:
    """Drives shipped processes as people would; `reload` forgets live objects before every step."""

    session: Session
    now: datetime
    reload: bool
    steps: int = 0
    deployed: list[str] = field(default_factory=list)

    def step(self) -> None:
        self.steps += 1
        if self.reload:
            forget_live_objects(self.session)

    def deploy(self, *files: str) -> None:
        batch = [(name, (PROCESSES / name).read_bytes()) for name in files]
        result = definitions.deploy(self.session, "admin", self.now, batch)
        self.deployed += [p.process_id for p in result.processes]

    def start(self, process_id: str, data: dict[str, Any], actor: str | None = None, **kwargs: Any) -> int:
        self.step()
        return instances.start(self.session, actor, self.now, process_id, data, **kwargs).id

    def open_tasks(self, instance_id: int) -> list[HumanTask]:
        return tasks.open_for_instance(self.session, instance_id)

    def task(self, instance_id: int, element_id: str) -> HumanTask:
        """The one open task of that element (fails loudly when there are none or several)."""
        found = [t for t in self.open_tasks(instance_id) if t.element_id == element_id]
        assert len(found) == 1, (element_id, [(t.element_id, t.name) for t in self.open_tasks(instance_id)])
        return found[0]

    def who_may(self, row: HumanTask) -> set[str]:
        """Usernames of the demo organisation that may work the task."""
        return {p.username for p in demo_org.people() if tasks.may_work(self.session, row, p.username)}

    def complete(self, instance_id: int, element_id: str, actor: str, data: dict[str, Any] | None = None,
                 opinion: str | None = None, task_id: str | None = None) -> None:
        self.step()
        row_id = task_id or self.task(instance_id, element_id).id
        tasks.complete(self.session, actor, self.now, row_id, data or {}, opinion)

    def status(self, instance_id: int) -> str:
        return instances.get(self.session, instance_id).status

    def data(self, instance_id: int) -> dict[str, Any]:
        return instances.current_data(self.session, instances.get(self.session, instance_id), self.now)

    def clocks(self, instance_id: int) -> list[Clock]:
        return list(self.session.scalars(select(Clock).where(Clock.instance_id == instance_id)
                                         .order_by(Clock.id)))


@pytest.fixture(params=["straight", "reload"])
def gov(request: pytest.FixtureRequest, session: Session, now: datetime) -> Iterator[Gov]:
    """Demo org, policies and the 2026 calendar in the test's transaction; both driving modes."""
    seed_policies(session)
    workdays.seed_official(session, now)
    demo_org.seed_org(session)
    yield Gov(session, now, reload=request.param == "reload")


def last_day(clock: Clock) -> date:
    """The last day of a clock's limit in China (it expires at the end of that day)."""
    return (clock.due_at - timedelta(microseconds=1)).astimezone(CHINA_TZ).date()


def listening(session: Session, *kinds: str) -> Callable[[], list[dict[str, Any]]]:
    """Subscribe a receiver to `kinds`; the returned function reads what the outbox holds for it."""
    import json

    from engine.ops import webhooks
    from engine.ops.webhook_models import WebhookDelivery, WebhookEvent

    sub = webhooks.create(session, "admin", datetime(2026, 11, 1, tzinfo=CHINA_TZ), "http://127.0.0.1:9/h", kinds,
                          ("127.0.0.1",))
    return lambda: [json.loads(body) for body in session.scalars(
        select(WebhookEvent.body).join(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id)
        .order_by(WebhookEvent.id))]

