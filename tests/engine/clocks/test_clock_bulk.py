"""The scheduler's set-based clock check writes exactly what check_clock writes clock by clock: the same
clock rows, audit events and notifications (texts, kinds, recipients, channels, even ids), in the same
order, including clocks whose expiry action delivers a BPMN message in the middle of a batch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks import lifecycle as clocks
from engine.clocks.models import Clock
from engine.clocks.policies import seed_policies
from engine.core.clock import CHINA_TZ, to_db
from engine.core.db import make_sessionmaker
from engine.core.models import AuditEvent
from engine.flow import definitions, instances, tasks
from engine.flow.models import HumanTask
from engine.ops import scheduler
from engine.org import directory as org
from engine.org.models import Notification

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn"


def at(y: int, m: int, d: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=CHINA_TZ).astimezone(UTC)


CHECK = at(2026, 11, 20, 9)


def _open_task(session: Session, instance_id: int, element: str) -> HumanTask:
    return next(t for t in tasks.open_for_instance(session, instance_id) if t.element_id == element)


def _ending_supplement() -> bytes:
    """clock_supplement, but 'deemed_accepted' ends the case at once."""
    xml = (FIXTURES / "clock_supplement.bpmn").read_text()
    xml = xml.replace('id="clock_supplement"', 'id="supplement_end"')
    xml = xml.replace('sourceRef="deemed" targetRef="accepted"', 'sourceRef="deemed" targetRef="done"')
    xml = xml.replace('<bpmn:incoming>f4</bpmn:incoming>', '<bpmn:incoming>f3</bpmn:incoming>')
    start, end = xml.index('<bpmn:userTask id="accepted"'), xml.index('<bpmn:endEvent id="done">')
    xml = xml[:start] + xml[end:]
    return xml.replace('<bpmn:sequenceFlow id="f4" sourceRef="accepted" targetRef="done" />', "").encode()


def _world(engine: Engine) -> list[int]:
    """Clocks of every kind due at CHECK; returns their ids in the order the scheduler claims them."""
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        seed_policies(s)
        workdays.seed_official(s, at(2026, 9, 1))
        boss = org.create_user(s, "boss", email="boss@example.gov.cn", department="xzsp")
        clerk = org.create_user(s, "clerk", email="clerk@example.gov.cn", department="xzsp")
        clerk.supervisor_id = boss.id
        org.create_user(s, "lone", department="xzsp")  # no e-mail, no supervisor
        retired = org.create_user(s, "retired", email="retired@example.gov.cn")
        retired.active = False
        junior = org.create_user(s, "junior", email="junior@example.gov.cn")
        junior.supervisor_id = retired.id  # an inactive supervisor is not told
        selfish = org.create_user(s, "selfish", email="")
        s.flush()
        selfish.supervisor_id = selfish.id  # no one twice
        org.create_user(s, "duty", groups=["admin"], email="duty@example.gov.cn")
        org.create_user(s, "registrar", department="window")
        for name in ("clock_review.bpmn", "clock_supplement.bpmn"):
            definitions.deploy(s, "designer", at(2026, 9, 1), [(name, (FIXTURES / name).read_bytes())])
        definitions.deploy(s, "designer", at(2026, 9, 1), [("supplement_end.bpmn", _ending_supplement())])
        s.flush()

        def start(policy: str, when: datetime, responsible: str | None, **kw: Any) -> Clock:
            return clocks.start_clock(s, "registrar", when, policy, responsible=responsible, **kw)

        order: list[Clock] = []
        review = instances.start(s, "registrar", at(2026, 9, 21, 10), "clock_review", {"title": "营业执照申请"})
        decide = _open_task(s, review.id, "decide")
        s.execute(update(HumanTask).where(HumanTask.id == decide.id).values(assignee="duty"))  # transferred
        order += sorted(s.scalars(select(Clock).where(Clock.instance_id == review.id)), key=lambda c: c.id)
        order.append(start("xk_decision", at(2026, 9, 21, 10), "clerk"))  # red
        order.append(start("xk_decision", at(2026, 9, 21, 10), "lone"))
        order.append(start("xk_decision", at(2026, 10, 26, 10), "junior"))  # yellow
        order.append(start("xk_decision", at(2026, 9, 21, 10), "selfish"))
        order.append(start("xk_decision", at(2026, 9, 21, 10), "nobody"))  # unknown person
        order.append(start("xk_decision", at(2026, 9, 21, 10), None))
        order.append(start("duban", at(2026, 11, 2), "clerk", due_date=date(2026, 11, 10)))  # no case
        # 补正 notices overdue: the expiry delivers a message; in the second process it ends the case, which
        # finishes the case's other clock, checked after (then it is finished already) or before the expiry.
        for process, extra_first in (("clock_supplement", False), ("supplement_end", False),
                                     ("supplement_end", True)):
            inst = instances.start(s, "registrar", at(2026, 11, 2), process, {"title": "食品经营许可"})
            notice = next(c for c in s.scalars(select(Clock).where(Clock.instance_id == inst.id)))
            extra = start("xk_decision", at(2026, 9, 21, 10), "clerk", instance_id=inst.id)
            order += [extra, notice] if extra_first else [notice, extra]
        unchanged = start("xk_decision", at(2026, 11, 19, 10), "clerk")  # level none, nothing to write
        order.append(unchanged)
        lowered = start("xk_decision", at(2026, 11, 19, 10), "clerk")
        lowered.warning_level, lowered.status = "red", "overdue"  # as if an extension had cleared it
        order.append(lowered)
        still = start("xk_decision", at(2026, 10, 26, 10), "clerk")
        clocks.check_clock(s, at(2026, 11, 18, 9), still.id)
        assert still.warning_level == "yellow"
        order.append(still)  # yellow again: status only, no event
        paused = start("xk_decision", at(2026, 10, 1, 10), "clerk")
        clocks.pause_clock(s, "clerk", at(2026, 11, 2), paused.id, "专家评审")
        order.append(paused)
        order.append(start("gk_reply", at(2026, 10, 20, 10), "lone"))
        order.append(start("xf_handling", at(2026, 9, 1, 10), "junior"))
        s.flush()
        ids = [c.id for c in order]
        for position, clock in enumerate(order):  # claim order = this order, all due at CHECK
            s.execute(update(Clock).where(Clock.id == clock.id).values(
                next_check_at=to_db(CHECK - timedelta(minutes=len(order) - position))))
    return ids


def _reference(engine: Engine, batch: int = 100) -> list[int]:
    """What the scheduler did before it was set-based: batch by batch, check_clock clock by clock, each in
    a savepoint."""
    sessions = make_sessionmaker(engine)
    done: list[int] = []
    while True:
        with sessions.begin() as s:
            ids = clocks.due_clock_ids(s, CHECK, batch)
            for clock_id in ids:
                with s.begin_nested():
                    clocks.check_clock(s, CHECK, clock_id)
        if not ids:
            return done
        done += ids


def _dump(engine: Engine, ids: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the checks write, with random task ids replaced by stable names. A clock's lock_version
    is left out: check_clock's autoflushes bump it once or twice, the set-based UPDATE once (_versions)."""
    with engine.connect() as conn:
        names = {row[0]: f"task:{n}" for n, row in enumerate(conn.execute(
            select(HumanTask.id).order_by(HumanTask.instance_id, HumanTask.element_id, HumanTask.created_at)))}
        out = {}
        for model in (Clock, AuditEvent, Notification):
            table = model.__table__
            columns = [c for c in table.columns if c.name != "lock_version" and (ids or c.name != "id"
                                                                               or model is Clock)]
            rows = conn.execute(select(*columns).order_by(table.c.id))
            out[table.name] = [tuple(names.get(v, v) if isinstance(v, str) else v for v in row) for row in rows]
    return out


def _versions(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return {row[0]: row[1] for row in conn.execute(select(Clock.id, Clock.lock_version))}


@pytest.mark.parametrize("batch", [100, 4])
def test_set_based_check_writes_what_check_clock_writes(fresh_engine, monkeypatch, batch: int) -> None:
    one_by_one, set_based = fresh_engine(), fresh_engine()
    ids = _world(one_by_one)
    assert _world(set_based) == ids
    assert _dump(one_by_one) == _dump(set_based)
    before = _versions(set_based)
    fired = _reference(one_by_one, batch)
    assert set(fired) <= set(ids) and len(fired) >= len(ids) - 1
    calls: list[int] = []
    original = clocks.check_clock

    def counting(session: Session, now: datetime, clock_id: int) -> Clock:
        calls.append(clock_id)
        return original(session, now, clock_id)

    monkeypatch.setattr(clocks, "check_clock", counting)
    report = scheduler.tick(make_sessionmaker(set_based), CHECK, batch=batch)
    assert report.failed == [] and report.timers == []
    assert report.clocks == fired
    expected, got = _dump(one_by_one), _dump(set_based)
    for table in expected:
        assert got[table] == expected[table], table
    # Every clock written is at a newer version.
    reference, bulk = _versions(one_by_one), _versions(set_based)
    assert {i for i in ids if reference[i] > before[i]} == {i for i in ids if bulk[i] > before[i]}
    # Only the expiring 补正 clocks went through check_clock.
    assert len(calls) == 3
    notes = expected["notification"]
    assert {(n[1], n[2]) for n in notes} >= {("boss", "inapp"), ("boss@example.gov.cn", "email"), ("duty", "inapp"),
                                            ("lone", "inapp"), ("junior", "inapp"), ("selfish", "inapp")}
    assert not any(n[1] in ("retired", "retired@example.gov.cn", "nobody") for n in notes)
    events = [e for e in expected["audit_event"] if e[5] == "clock_level"]
    assert {(e[9]["from"], e[9]["to"]) for e in events} >= {("none", "red"), ("none", "yellow"), ("red", "none")}
    assert sum(e[5] == "clock_expiry" and e[9]["delivered"] for e in expected["audit_event"]) == 3
    finished = [e[9]["clock_id"] for e in expected["audit_event"] if e[5] == "clock_finish"]
    assert len(finished) == 5  # three 补正 tasks closed, and the other clock of each ended case
    assert scheduler.tick(make_sessionmaker(set_based), CHECK).fired == 0


def test_a_failing_set_based_step_falls_back_to_clock_by_clock(fresh_engine, monkeypatch) -> None:
    one_by_one, set_based = fresh_engine(), fresh_engine()
    ids = _world(one_by_one)
    _world(set_based)
    _reference(one_by_one)
    original = clocks.check_due_clocks

    def failing(session: Session, now: datetime, due: Any, policies: Any) -> None:
        original(session, now, due, policies)  # everything written, then undone by the savepoint
        raise OperationalError("UPDATE clock", {}, Exception("simulated"))

    monkeypatch.setattr(clocks, "check_due_clocks", failing)
    report = scheduler.tick(make_sessionmaker(set_based), CHECK, batch=100)
    assert report.failed == [] and report.clocks == ids
    # The same rows in the same order; PostgreSQL does not give back the ids the undone INSERTs took.
    assert _dump(one_by_one, ids=False) == _dump(set_based, ids=False)
