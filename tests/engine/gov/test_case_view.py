"""The instance page's data: element states for the diagram, clocks with pauses, the trail."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks import lifecycle as clocks
from engine.clocks.policies import seed_policies
from engine.flow import definitions, instances, task_actions, tasks
from engine.gov import case_view as instance_view
from engine.org import directory as org

PROCESSES = Path(__file__).resolve().parents[3] / "processes"


@pytest.fixture
def world(session: Session, now: datetime) -> Session:
    seed_policies(session)
    workdays.seed_official(session, now)
    org.create_user(session, "zhang", groups=["clerk"])
    org.create_user(session, "li", groups=["dept_head"])
    definitions.deploy(session, "admin", now, [("leave_request.bpmn", (PROCESSES / "leave_request.bpmn").read_bytes())])
    return session


def _submitted(session: Session, now: datetime) -> int:
    inst = instances.start(session, "zhang", now, "leave_request", {"days": 1})
    [row] = tasks.open_for_instance(session, inst.id)
    tasks.complete(session, "zhang", now, row.id, {"days": 1})
    return inst.id


def test_states_mark_done_steps_taken_flows_and_the_active_step(world: Session, now: datetime) -> None:
    inst = _submitted(world, now)
    states = instance_view.element_states(world, instances.get(world, inst), now)
    assert states["start"] == "done" and states["apply"] == "done" and states["head_review"] == "active"
    assert states["f_start_apply"] == "done" and states["f_apply_review"] == "done"
    assert "record" not in states and "f_approved" not in states and "f_review_decision" not in states


def test_a_red_step_clock_shows_the_step_overdue(world: Session, now: datetime) -> None:
    inst = _submitted(world, now)
    [row] = tasks.open_for_instance(world, inst)
    clock = clocks.start_clock(world, None, now, "countersign_reply", instance_id=inst, task_id=row.id,
                               element_id=row.element_id, responsible="li")
    clock.warning_level = "red"
    world.flush()
    assert instance_view.element_states(world, instances.get(world, inst), now)["head_review"] == "overdue"
    clocks.pause_clock(world, "li", now, clock.id, "专家评审")
    [view] = instance_view.clock_views(world, inst)
    assert [p.reason for p in view.pauses] == ["专家评审"] and view.clock.id == clock.id


def test_a_rejected_case_keeps_its_done_steps_from_the_projection(world: Session, now: datetime) -> None:
    inst = _submitted(world, now)
    [row] = tasks.open_for_instance(world, inst)
    task_actions.reject(world, "li", now + timedelta(hours=1), row.id, "不符合规定")
    states = instance_view.element_states(world, instances.get(world, inst), now)
    assert states.get("apply") == "done" and "head_review" not in states
    assert [e.action for e in instance_view.trail(world, inst)][-1] == "reject"
