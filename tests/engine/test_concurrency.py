"""Two people acting on the same task at the same time: one succeeds, the other gets a clear conflict,
and the instance advances exactly once (real commits, two connections)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import definitions, instances, org, tasks
from engine.db import make_sessionmaker
from engine.errors import Conflict
from engine.models import AuditEvent, HumanTask, Instance

MODEL = Path(__file__).resolve().parents[2] / "processes" / "leave_request.bpmn"
NOW = datetime(2026, 11, 2, 1, tzinfo=UTC)


def _at_review(engine) -> tuple[int, str]:
    """An instance waiting at the department head's review, which two heads may both work."""
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        org.create_user(session, "zhangsan")
        org.create_user(session, "lisi", groups=["dept_head"])
        org.create_user(session, "zhaoliu", groups=["dept_head"])
        definitions.deploy(session, "zhangsan", NOW, [(MODEL.name, MODEL.read_bytes())])
        inst = instances.start(session, "zhangsan", NOW, "leave_request", {"days": 3})
        tasks.complete(session, "zhangsan", NOW, tasks.open_for_instance(session, inst.id)[0].id, {})
        review = tasks.open_for_instance(session, inst.id)[0]
        assert review.element_id == "head_review"
        return inst.id, review.id


def test_second_completion_of_the_same_task_is_a_conflict(fresh_engine) -> None:
    engine = fresh_engine()
    instance_id, task_id = _at_review(engine)
    sessions = make_sessionmaker(engine)
    first, second = sessions(), sessions()
    try:
        # Both load the open task and the instance before either commits.
        first.begin()
        second.begin()
        tasks.get(first, task_id), instances.get(first, instance_id)
        tasks.get(second, task_id), instances.get(second, instance_id)
        instances.CACHE.clear()
        tasks.complete(first, "lisi", NOW, task_id, {"approved": True}, "同意")
        first.commit()
        with pytest.raises(Conflict):
            tasks.complete(second, "zhaoliu", NOW, task_id, {"approved": False}, "不同意")
            second.commit()
        second.rollback()
    finally:
        first.close()
        second.close()
    with sessions() as check:
        completions = check.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == instance_id, AuditEvent.action == "complete",
            AuditEvent.element_id == "head_review"))
        assert completions == 1
        row = check.get(HumanTask, task_id)
        assert row is not None and row.completed_by == "lisi"
        open_now = [t.element_id for t in tasks.open_for_instance(check, instance_id)]
        assert open_now == ["record"]  # approved: advanced once, to the office record step
        inst = check.get(Instance, instance_id)
        assert inst is not None
        assert instances.current_data(check, inst, NOW)["approved"] is True


def test_racing_threads_advance_the_instance_once(fresh_engine) -> None:
    engine = fresh_engine()
    instance_id, task_id = _at_review(engine)
    sessions = make_sessionmaker(engine)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def work(user: str, approved: bool) -> None:
        with sessions() as session:
            try:
                tasks.get(session, task_id)
                barrier.wait(timeout=30)
                tasks.complete(session, user, NOW, task_id, {"approved": approved})
                session.commit()
                outcomes[user] = "done"
            except Conflict as exc:
                session.rollback()
                outcomes[user] = f"conflict: {exc}"

    threads = [threading.Thread(target=work, args=("lisi", True)), threading.Thread(target=work, args=("zhaoliu", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["conflict", "done"], outcomes
    with sessions() as check:
        completions = check.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == instance_id, AuditEvent.action == "complete",
            AuditEvent.element_id == "head_review"))
        assert completions == 1
        inst = check.get(Instance, instance_id)
        assert inst is not None and inst.lock_version == 3  # start, apply, review


def test_concurrent_claims_one_wins(fresh_engine) -> None:
    engine = fresh_engine()
    _, task_id = _at_review(engine)
    sessions = make_sessionmaker(engine)
    first, second = sessions(), sessions()
    try:
        tasks.get(first, task_id), tasks.get(second, task_id)
        tasks.claim(first, "lisi", NOW, task_id)
        first.commit()
        with pytest.raises(Conflict):
            tasks.claim(second, "zhaoliu", NOW, task_id)
        second.rollback()
    finally:
        first.close()
        second.close()
    with sessions() as check:
        row = check.get(HumanTask, task_id)
        assert row is not None and row.assignee == "lisi"
