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
    assert queries.counts(world, "zhao") == {"todo": 0, "todo_over": 0, "done": 0, "copies_unread": 1, "started": 0}
    task_actions.mark_copy_read(world, "zhao", now, copies.rows[0]["copy_id"])
    assert queries.copies(world, "zhao", InboxFilter(unread_only=True)).total == 0
    assert queries.counts(world, "li")["todo"] == 1
    assert ("leave_request", "请假审批") in queries.processes(world)


def _reference(rows: list[dict[str, object]], key: str, descending: bool, tie: str) -> list[object]:
    """The order the lists promise: the sort key (missing values last either way), then `tie` newest first."""
    present = sorted((r for r in rows if r[key] is not None), key=lambda r: r[tie], reverse=True)  # type: ignore[arg-type, return-value]
    present.sort(key=lambda r: r[key], reverse=descending)  # type: ignore[arg-type, return-value]
    missing = sorted((r for r in rows if r[key] is None), key=lambda r: r[tie], reverse=True)  # type: ignore[arg-type, return-value]
    return [r["id"] for r in present + missing]


def test_every_sort_and_page_of_todo_and_done_keeps_its_order(world: Session, now: datetime) -> None:
    """Pages in every sort, walked to the end, give each row once in the promised order with the right total."""
    from engine.flow.models import HumanTask

    ids = [_case(world, now + timedelta(minutes=i), "zhang", f"请假{i % 4}") for i in range(11)]
    opened = {row.instance_id: row for i in ids for row in tasks.open_for_instance(world, i)}
    for k, inst in enumerate(ids):  # due dates and priorities with ties and gaps
        row = opened[inst]
        row.deadline_at = None if k % 4 == 3 else now + timedelta(days=k % 3)
        row.priority = None if k % 5 == 0 else k % 2
    world.flush()
    todo_rows = [{"id": r.id, "due": r.deadline_at, "created": r.created_at, "priority": r.priority,
                  "title": f"请假{ids.index(r.instance_id) % 4}"} for r in opened.values()]
    for sort in queries.SORTS:
        for descending in (False, True):
            seen: list[object] = []
            for page in range(1, 5):
                got = queries.todo(world, "li", InboxFilter(sort=sort, descending=descending, page=page, per_page=3))
                assert got.total == 11 and got.pages == 4
                seen += [r["task_id"] for r in got.rows]
            assert seen == _reference(todo_rows, sort, descending, "created"), (sort, descending)
    done = world.query(HumanTask).filter(HumanTask.completed_by == "zhang").all()
    for k, row in enumerate(done):  # completions in another order than the starts
        row.completed_at = now + timedelta(hours=(k * 7) % 11)
    world.flush()
    done_rows = [{"id": r.id, "created": r.completed_at} for r in done]
    seen = []
    for page in range(1, 6):
        got = queries.done(world, "zhang", InboxFilter(sort="created", descending=True, page=page, per_page=3))
        assert got.total == 11 and got.pages == 4
        seen += [r["task_id"] for r in got.rows]
    assert seen == _reference(done_rows, "created", True, "created")
    assert queries.done(world, "zhang", InboxFilter(page=9)).total == 11  # past the last page: the count alone


def test_other_tabs_count_todo_up_to_the_cap(world: Session, now: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past TAB_TODO_CAP the other tabs say "cap+"; up to it, and on the 待办 list itself, the number is exact."""
    for i in range(4):
        _case(world, now + timedelta(minutes=i), "zhang", f"请假{i}")
    monkeypatch.setattr(queries, "TAB_TODO_CAP", 3)
    assert queries.todo_count(world, "li") == 4 and queries.todo_count(world, "li", cap=3) == 4
    assert queries.todo_count(world, "li", cap=10) == 4 and queries.todo_count(world, "li", cap=1) == 2
    capped = queries.counts(world, "li")
    assert (capped["todo"], capped["todo_over"]) == (3, 1)
    assert queries.counts(world, "li", todo_total=4)["todo"] == 4
    monkeypatch.setattr(queries, "TAB_TODO_CAP", 4)
    assert (queries.counts(world, "li")["todo"], queries.counts(world, "li")["todo_over"]) == (4, 0)
