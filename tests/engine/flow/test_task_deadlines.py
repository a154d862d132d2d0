"""Open tasks carry the due date and warning level their inbox rows show, kept from the clocks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clocks import lifecycle as clocks
from engine.clocks.models import Clock
from engine.flow import instances, tasks
from engine.flow.models import HumanTask
from tests.engine.clocks.test_clocks import _deploy, _instance_clocks, _open_task, at, world  # noqa: F401


def _deadline(session: Session, task_id: str) -> object:
    session.flush()
    return session.scalar(select(HumanTask.deadline_at).where(HumanTask.id == task_id))


def _level(session: Session, task_id: str) -> str | None:
    session.flush()
    return session.scalar(select(HumanTask.warning_level).where(HumanTask.id == task_id))


def test_step_clock_sets_the_deadline_then_warnings_and_extensions_follow(world: Session) -> None:  # noqa: F811
    _deploy(world, "clock_review.bpmn")
    inst = instances.start(world, "registrar", at(2026, 9, 21, 10), "clock_review", {"title": "营业执照申请"})
    decide = _open_task(world, inst.id, "decide")
    step = _instance_clocks(world, inst.id)["decide"]
    assert _deadline(world, decide.id) == step.due_at and _level(world, decide.id) == "none"
    clocks.check_clock(world, at(2026, 10, 21), step.id)
    assert _level(world, decide.id) == "yellow"
    clocks.extend_clock(world, "clerk", at(2026, 10, 21, 10), step.id, 10, "情况复杂", "head")
    assert _deadline(world, decide.id) == step.due_at and _level(world, decide.id) == "none"


def test_a_later_step_shows_the_case_clock_and_the_scheduler_check_reaches_it(world: Session) -> None:  # noqa: F811
    _deploy(world, "clock_review.bpmn")
    inst = instances.start(world, "registrar", at(2026, 9, 21, 10), "clock_review", {"title": "许可"})
    tasks.complete(world, "clerk", at(2026, 9, 22), _open_task(world, inst.id, "decide").id, {})
    archive = _open_task(world, inst.id, "archive")
    case = _instance_clocks(world, inst.id)["start"]
    assert case.task_id is None and _deadline(world, archive.id) == case.due_at
    # The scheduler's set-based check writes clocks with SQL, not the ORM: the task follows it too.
    world.flush()
    due = clocks.load_due(world, [case.id])
    clocks.check_due_clocks(world, at(2026, 10, 9), list(due.values()),
                            clocks.load_policies(world, [case.policy_code]))
    assert world.scalar(select(Clock.warning_level).where(Clock.id == case.id)) == "red"
    assert _level(world, archive.id) == "red"


def test_a_step_that_touches_no_clock_still_shows_the_case_deadline(world: Session) -> None:  # noqa: F811
    """Nothing but the new task changes in this step, so no flush of clocks can carry the refresh."""
    _deploy(world, "case_clock_only.bpmn")
    inst = instances.start(world, "registrar", at(2026, 9, 21, 10), "case_clock_only", {"title": "来件"})
    case = _instance_clocks(world, inst.id)["start"]
    assert _deadline(world, _open_task(world, inst.id, "register").id) == case.due_at
    tasks.complete(world, "clerk", at(2026, 9, 22), _open_task(world, inst.id, "register").id, {})
    handle = _open_task(world, inst.id, "handle")
    assert (_deadline(world, handle.id), _level(world, handle.id)) == (case.due_at, case.warning_level)
