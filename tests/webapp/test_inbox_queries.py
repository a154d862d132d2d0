"""Inbox lists read projections: visibility, filters, warning levels, sorting, pagination and counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks import lifecycle as clocks
from engine.clocks.policies import seed_policies
from engine.flow import definitions, instances, task_actions, tasks
from engine.org import directory as org
from webapp.inbox import queries
from webapp.inbox.queries import InboxFilter

PROCESSES = Path(__file__).resolve().parent.parent.parent / "processes"


@pytest.fixture
def world(session: Session, now: datetime) -> Session:
    seed_policies(session)
    workdays.seed_official(session, now)
    org.create_user(session, "zhang", groups=["clerk"], department="fgw")
    org.create_user(session, "qian", groups=["clerk"], department="scjg")
    org.create_user(session, "li", groups=["dept_head"], department="fgw")
    org.create_user(session, "zhao", department="fgw")
    definitions.deploy(session, "admin", now, [("leave_request.bpmn", (PROCESSES / "leave_request.bpmn").read_bytes())])
    return session


def _case(session: Session, now: datetime, who: str, title: str) -> int:
    inst = instances.start(session, who, now, "leave_request", {"days": 1}, title=title)
    [row] = tasks.open_for_instance(session, inst.id)
    tasks.complete(session, who, now, row.id, {"days": 1})
    return inst.id


def test_todo_lists_what_the_user_may_work_with_filters_and_pages(world: Session, now: datetime) -> None:
    ids = [_case(world, now + timedelta(minutes=i), "zhang" if i % 2 else "qian", f"请假{i}") for i in range(5)]
    page = queries.todo(world, "li", InboxFilter(per_page=2, sort="created"))
    assert page.total == 5 and page.pages == 3 and len(page.rows) == 2
    assert [r["instance_id"] for r in page.rows] == ids[:2]
    assert queries.todo(world, "zhao").total == 0
    assert queries.todo(world, "li", InboxFilter(department="fgw")).total == 2
    assert [r["title"] for r in queries.todo(world, "li", InboxFilter(text="请假3")).rows] == ["请假3"]
    assert queries.todo(world, "li", InboxFilter(text=str(ids[4]))).rows[0]["instance_id"] == ids[4]
    assert queries.todo(world, "li", InboxFilter(process="nope")).total == 0
    last = queries.todo(world, "li", InboxFilter(per_page=2, page=3, sort="created"))
    assert [r["instance_id"] for r in last.rows] == [ids[4]]


def test_warning_level_and_due_come_from_the_clocks(world: Session, now: datetime) -> None:
    first, second = _case(world, now, "zhang", "甲"), _case(world, now, "zhang", "乙")
    [row] = tasks.open_for_instance(world, second)
    clock = clocks.start_clock(world, None, now, "countersign_reply", instance_id=second, task_id=row.id,
                               element_id=row.element_id, responsible="li")
    clock.warning_level = "red"
    world.flush()
    red = queries.todo(world, "li", InboxFilter(warning="red"))
    assert [r["instance_id"] for r in red.rows] == [second]
    assert red.rows[0]["due_at"] == clock.due_at
    assert queries.todo(world, "li", InboxFilter(warning="yellow")).total == 1  # yellow or worse
    by_due = queries.todo(world, "li", InboxFilter(sort="due"))
    assert [r["instance_id"] for r in by_due.rows] == [second, first]  # no due date sorts last
    due_day = (clock.due_at + timedelta(hours=8)).date()
    assert queries.todo(world, "li", InboxFilter(due_before=due_day - timedelta(days=2))).total == 0
    assert queries.todo(world, "li", InboxFilter(due_before=due_day)).total == 1


def test_done_started_copies_and_counts(world: Session, now: datetime) -> None:
    inst = _case(world, now, "zhang", "丙")
    [row] = tasks.open_for_instance(world, inst)
    task_actions.carbon_copy(world, "li", now, row.id, ["zhao"], "请阅")
    assert [r["title"] for r in queries.done(world, "zhang").rows] == ["丙"]
    assert [r["instance_id"] for r in queries.started(world, "zhang").rows] == [inst]
    copies = queries.copies(world, "zhao")
    assert [r["note"] for r in copies.rows] == ["请阅"] and copies.rows[0]["read_at"] is None
    assert queries.counts(world, "zhao") == {"todo": 0, "done": 0, "copies_unread": 1, "started": 0}
    task_actions.mark_copy_read(world, "zhao", now, copies.rows[0]["copy_id"])
    assert queries.copies(world, "zhao", InboxFilter(unread_only=True)).total == 0
    assert queries.counts(world, "li")["todo"] == 1
    assert ("leave_request", "请假审批") in queries.processes(world)
