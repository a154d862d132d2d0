"""A clocked step that nobody holds (offered to a department's group, unclaimed) still has someone who
answers for it: its red card goes to the department's head, by name, and once a clerk completes it the
clock counts that clerk as its handler."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks import lifecycle as clocks
from engine.clocks.models import Clock
from engine.clocks.policies import seed_policies
from engine.core.clock import CHINA_TZ
from engine.flow import definitions, instances, tasks
from engine.org import directory as org
from engine.org import notify
from engine.org.models import Department, Group

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn" / "group_clock.bpmn"
START = datetime(2026, 11, 2, 9, tzinfo=CHINA_TZ).astimezone(UTC)
LATE = datetime(2026, 11, 30, 9, tzinfo=CHINA_TZ).astimezone(UTC)  # long past ten working days


@pytest.fixture
def world(session: Session) -> Session:
    seed_policies(session)
    workdays.seed_official(session, START)
    org.create_user(session, "head", groups=["dep_head"], department="dep", display_name="周科长")
    org.create_user(session, "clerk", groups=["dep_clerk"], department="dep", display_name="许经办")
    dept = session.scalar(select(Department).where(Department.code == "dep"))
    assert dept is not None
    dept.name = "市审批科"
    for group in session.scalars(select(Group).where(Group.code.in_(["dep_head", "dep_clerk"]))):
        group.department_id = dept.id
    definitions.deploy(session, "designer", START, [(FIXTURE.name, FIXTURE.read_bytes())])
    session.flush()
    return session


def _step_clock(session: Session, instance_id: int) -> Clock:
    [clock] = session.scalars(select(Clock).where(Clock.instance_id == instance_id, Clock.task_id.is_not(None)))
    return clock


def _red_cards(session: Session, username: str) -> list[str]:
    return [n.body for n in notify.list_inapp(session, username) if n.kind == "clock_red"]


def test_a_red_card_for_a_step_nobody_holds_goes_to_the_department_head(world: Session) -> None:
    inst = instances.start(world, "clerk", START, "group_clock")
    clock = _step_clock(world, inst.id)
    assert clock.responsible is None and clock.department_code == "dep"
    clocks.check_clock(world, LATE, clock.id)
    [card] = _red_cards(world, "head")
    assert "责任人：未指定（已告知部门负责人）" in card and "部门：市审批科" in card
    assert _red_cards(world, "clerk") == []


def test_the_scheduler_checking_many_clocks_tells_the_same_head(world: Session) -> None:
    inst = instances.start(world, "clerk", START, "group_clock")
    clock = _step_clock(world, inst.id)
    due = clocks.load_due(world, [clock.id])
    clocks.check_due_clocks(world, LATE, list(due.values()), clocks.load_policies(world, [clock.policy_code]))
    [card] = _red_cards(world, "head")
    assert "部门：市审批科" in card


def test_the_clerk_who_completes_the_step_is_its_handler(world: Session) -> None:
    inst = instances.start(world, "clerk", START, "group_clock")
    [review] = tasks.open_for_instance(world, inst.id)
    tasks.complete(world, "clerk", LATE, review.id, {})
    clock = _step_clock(world, inst.id)
    assert clock.status == "finished_late" and clock.responsible == "clerk"


def test_a_case_with_no_starter_and_no_department_warns_those_at_work_on_it(world: Session) -> None:
    inst = instances.start(world, None, START, "group_clock")  # e.g. a letter that came in through the portal
    [case] = world.scalars(select(Clock).where(Clock.instance_id == inst.id, Clock.task_id.is_(None)))
    assert case.responsible is None and case.department_code is None
    clocks.check_clock(world, LATE, case.id)
    assert len([n for n in notify.list_inapp(world, "clerk") if n.kind == "clock_red"]) == 1  # holds the open step


def test_a_case_clock_nobody_was_put_to_counts_for_whoever_finished_the_case(world: Session) -> None:
    inst = instances.start(world, None, START, "group_clock")
    [review] = tasks.open_for_instance(world, inst.id)
    tasks.complete(world, "clerk", LATE, review.id, {})
    [case] = world.scalars(select(Clock).where(Clock.instance_id == inst.id, Clock.task_id.is_(None)))
    assert case.status == "finished_late"
    assert (case.responsible, case.department_code) == ("clerk", "dep")
