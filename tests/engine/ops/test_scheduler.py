"""The scheduler fires due clocks and BPMN timers from their due-time index exactly once, catches up
after downtime, and two scheduler processes on one PostgreSQL never fire the same thing twice."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from engine.clocks import policies as clock_policies
from engine.clocks.models import Clock
from engine.core.clock import to_db
from engine.core.db import make_sessionmaker
from engine.core.models import AuditEvent
from engine.flow import definitions, instances
from engine.flow.models import HumanTask, Instance
from engine.ops import scheduler
from engine.org import directory as org
from tests.conftest import DATABASE, NOW

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn" / "wait_timer.bpmn"
CHILD = Path(__file__).resolve().parent / "scheduler_child.py"


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _fresh_task_ids(state: str) -> str:
    """A copy of a waiting instance's state with new task ids, as if it had been started itself."""
    mapping: dict[str, str] = {}
    return _UUID.sub(lambda m: mapping.setdefault(m.group(), str(uuid.uuid4())), state)


def _setup(engine, timers: int, clocks: int) -> tuple[list[int], list[int]]:
    """`timers` instances waiting one hour from NOW, `clocks` clocks overdue at NOW + 2h."""
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        org.create_user(session, "starter")
        clock_policies.seed_policies(session)
        definitions.deploy(session, "starter", NOW, [(FIXTURE.name, FIXTURE.read_bytes())])
        first = instances.start(session, "starter", NOW, "wait_timer")
        assert first.next_timer_at == to_db(NOW + timedelta(hours=1))
        template = {c.key: getattr(first, c.key) for c in Instance.__table__.columns if c.key != "id"}
        if timers > 1:
            rows = [dict(template, uid=uuid.uuid4().hex, state=_fresh_task_ids(first.state))
                    for _ in range(timers - 1)]
            session.execute(insert(Instance), rows)
        if clocks:
            due = to_db(NOW + timedelta(hours=1))
            session.execute(insert(Clock), [dict(
                policy_code="xk_decision", legal_basis="行政许可法 第四十二条", unit="wd", limit_days=20,
                extended_days=0, started_at=to_db(NOW - timedelta(days=30)), due_at=due, warn_at=due,
                provisional=False, status="running", warning_level="none", active=True, next_check_at=due,
                used_working_days=0, lock_version=1) for _ in range(clocks)])
    with sessions() as session:
        timer_ids = list(session.scalars(select(Instance.id)))
        clock_ids = list(session.scalars(select(Clock.id)))
    return timer_ids, clock_ids


def test_timers_fire_once_and_catch_up_after_a_day(fresh_engine) -> None:
    engine = fresh_engine()
    timer_ids, clock_ids = _setup(engine, timers=20, clocks=30)
    sessions = make_sessionmaker(engine)
    early = scheduler.tick(sessions, NOW + timedelta(minutes=59))
    assert early.fired == 0  # nothing is due before its time
    # The scheduler was down for a simulated day: everything due in between fires on the next tick.
    report = scheduler.tick(sessions, NOW + timedelta(days=1), batch=7)
    assert sorted(report.timers) == sorted(timer_ids) and sorted(report.clocks) == sorted(clock_ids)
    assert report.failed == []
    assert scheduler.tick(sessions, NOW + timedelta(days=1, seconds=1)).fired == 0
    with sessions() as session:
        open_after = session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.element_id == "after", HumanTask.status == "open"))
        assert open_after == len(timer_ids)
        assert session.scalar(select(func.count()).select_from(Instance).where(
            Instance.next_timer_at.is_not(None))) == 0
        overdue = session.scalars(select(Clock.warning_level)).all()
        assert set(overdue) == {"red"}
        fired = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "timer"))
        assert fired == len(timer_ids)


@pytest.mark.postgres_only
@pytest.mark.skipif(DATABASE != "postgresql", reason="row locking with SKIP LOCKED needs PostgreSQL")
def test_two_schedulers_fire_ten_thousand_items_exactly_once(fresh_engine) -> None:
    engine = fresh_engine()
    timer_ids, clock_ids = _setup(engine, timers=3000, clocks=7000)
    assert len(timer_ids) + len(clock_ids) == 10_000
    url = engine.url.render_as_string(hide_password=False)
    moment = (NOW + timedelta(hours=2)).isoformat()
    root = str(Path(__file__).resolve().parents[3])
    children = [subprocess.Popen([sys.executable, str(CHILD), url, moment], cwd=root, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(2)]
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    results = []
    for child in children:
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    for kind, expected in (("timers", timer_ids), ("clocks", clock_ids)):
        first, second = set(results[0][kind]), set(results[1][kind])
        assert not first & second, f"{len(first & second)} {kind} fired by both schedulers"
        assert sorted(first | second) == sorted(expected)
        assert len(results[0][kind]) + len(results[1][kind]) == len(expected)
    assert results[0]["failed"] == [] and results[1]["failed"] == []
    assert results[0]["timers"] and results[1]["timers"], "both schedulers should have done work"
    with make_sessionmaker(engine)() as session:
        per_instance = session.execute(select(AuditEvent.instance_id, func.count()).where(
            AuditEvent.action == "timer").group_by(AuditEvent.instance_id)).all()
        assert len(per_instance) == len(timer_ids) and {n for _, n in per_instance} == {1}


def test_working_day_timer_skips_the_national_day_holiday(fresh_engine) -> None:
    from datetime import UTC, datetime

    from engine.calendar import workdays

    engine = fresh_engine()
    sessions = make_sessionmaker(engine)
    monday = datetime(2026, 9, 28, 2, tzinfo=UTC)  # 10:00 in China
    model = FIXTURE.with_name("wait_working_days.bpmn")
    with sessions.begin() as session:
        workdays.seed_official(session, monday)
        org.create_user(session, "starter")
        definitions.deploy(session, "starter", monday, [(model.name, model.read_bytes())])
        inst = instances.start(session, "starter", monday, "wait_working_days")
        # 9-29, 9-30, then 国庆 10-1..10-7, then 10-8: due at the end of 10-8 in China.
        assert inst.next_timer_at == datetime(2026, 10, 8, 16, 0)
    assert scheduler.tick(sessions, datetime(2026, 10, 8, 15, 59, tzinfo=UTC)).fired == 0
    assert scheduler.tick(sessions, datetime(2026, 10, 8, 16, 1, tzinfo=UTC)).timers == [inst.id]
