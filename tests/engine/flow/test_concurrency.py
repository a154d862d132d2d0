"""Two people acting on the same task at the same time: one succeeds, the other gets a clear conflict,
and the instance advances exactly once (fresh database, two sessions on their own connections, real
commits; runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.core.db import make_sessionmaker
from engine.core.errors import Conflict
from engine.core.models import AuditEvent
from engine.flow import definitions, instances, tasks
from engine.flow.models import HumanTask, Instance
from engine.org import directory as org

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn" / "approval.bpmn"
NOW = datetime(2026, 11, 2, 1, tzinfo=UTC)
DATA = {"dept": "dept_tax", "backup": "", "deadline": "2026-11-10T09:00:00+08:00", "urgency": 1}


def _at_review(engine) -> tuple[int, str]:
    """A committed instance waiting at the review, which both reviewers may work."""
    with make_sessionmaker(engine).begin() as session:
        org.create_user(session, "alice")
        org.create_user(session, "rita", groups=["reviewers"])
        org.create_user(session, "raj", groups=["reviewers"])
        definitions.deploy(session, "alice", NOW, [(FIXTURE.name, FIXTURE.read_bytes())])
        inst = instances.start(session, "alice", NOW, "approval", DATA)
        tasks.complete(session, "alice", NOW, tasks.open_for_instance(session, inst.id)[0].id, {})
        review = tasks.open_for_instance(session, inst.id)[0]
        assert review.element_id == "review"
        return inst.id, review.id


def _audit_count(session, instance_id: int, action: str) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.instance_id == instance_id, AuditEvent.action == action, AuditEvent.element_id == "review"))


def _check_advanced_once(engine, instance_id: int, task_id: str, winner: str, approved: bool) -> None:
    instances.CACHE.clear()  # read what was committed, not a workflow remembered in memory
    with make_sessionmaker(engine)() as check:
        assert _audit_count(check, instance_id, "complete") == 1
        row = check.get(HumanTask, task_id)
        assert row is not None and (row.status, row.completed_by) == ("completed", winner)
        inst = check.get(Instance, instance_id)
        assert inst is not None and inst.lock_version == 3  # start, fill, review: one step each
        expected = (["record"], "running") if approved else ([], "completed")
        assert ([t.element_id for t in tasks.open_for_instance(check, instance_id)], inst.status) == expected
        assert instances.current_data(check, inst, NOW)["approved"] is approved
        states = check.execute(select(HumanTask.element_id, HumanTask.status)
                               .where(HumanTask.instance_id == instance_id)).all()
        assert sorted(states) == sorted([("fill", "completed"), ("review", "completed")]
                                        + ([("record", "open")] if approved else []))


def test_second_completion_of_a_loaded_task_is_a_conflict(fresh_engine) -> None:
    engine = fresh_engine()
    instance_id, task_id = _at_review(engine)
    sessions = make_sessionmaker(engine)
    first, second = sessions(), sessions()
    try:
        # Both hold the open task and the instance (the identity map is weak: keep references).
        loaded = [(tasks.get(s, task_id), instances.get(s, instance_id)) for s in (first, second)]
        assert [(t.status, i.lock_version) for t, i in loaded] == [("open", 2), ("open", 2)]
        instances.CACHE.clear()
        tasks.complete(first, "rita", NOW, task_id, {"approved": True}, "同意")
        first.commit()
        with pytest.raises(Conflict):
            tasks.complete(second, "raj", NOW, task_id, {"approved": False}, "不同意")
            second.commit()
        second.rollback()
    finally:
        first.close()
        second.close()
    _check_advanced_once(engine, instance_id, task_id, "rita", True)


def test_second_claim_of_a_loaded_task_is_a_conflict(fresh_engine) -> None:
    engine = fresh_engine()
    instance_id, task_id = _at_review(engine)
    sessions = make_sessionmaker(engine)
    first, second = sessions(), sessions()
    try:
        loaded = [tasks.get(first, task_id), tasks.get(second, task_id)]
        assert [row.assignee for row in loaded] == [None, None]
        tasks.claim(first, "rita", NOW, task_id)
        first.commit()
        with pytest.raises(Conflict):
            tasks.claim(second, "raj", NOW, task_id)
            second.commit()
        second.rollback()
    finally:
        first.close()
        second.close()
    with sessions() as check:
        row = check.get(HumanTask, task_id)
        assert row is not None and row.assignee == "rita"
        assert _audit_count(check, instance_id, "claim") == 1


def _race(engine, task_id: str, action) -> dict[str, str]:
    """Run `action(session, user)` for both reviewers in threads that start together."""
    sessions = make_sessionmaker(engine)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def work(user: str) -> None:
        with sessions() as session:
            try:
                seen = tasks.get(session, task_id)  # both read the open task before either writes
                barrier.wait(timeout=30)
                action(session, user)
                assert seen.status != "open" or seen.assignee == user
                session.commit()
                outcomes[user] = "done"
            except Conflict:
                session.rollback()
                outcomes[user] = "conflict"
            except Exception as exc:  # reported, so the assertion shows what went wrong
                session.rollback()
                outcomes[user] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=work, args=(user,)) for user in ("rita", "raj")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["conflict", "done"], outcomes
    return outcomes


def test_racing_completions_advance_the_instance_once(fresh_engine) -> None:
    engine = fresh_engine()
    instance_id, task_id = _at_review(engine)
    outcomes = _race(engine, task_id, lambda session, user: tasks.complete(
        session, user, NOW, task_id, {"approved": user == "rita"}))
    winner = next(user for user, outcome in outcomes.items() if outcome == "done")
    _check_advanced_once(engine, instance_id, task_id, winner, winner == "rita")


def test_racing_claims_leave_one_assignee(fresh_engine) -> None:
    engine = fresh_engine()
    instance_id, task_id = _at_review(engine)
    outcomes = _race(engine, task_id, lambda session, user: tasks.claim(session, user, NOW, task_id))
    winner = next(user for user, outcome in outcomes.items() if outcome == "done")
    with make_sessionmaker(engine)() as check:
        row = check.get(HumanTask, task_id)
        assert row is not None and row.assignee == winner
        assert _audit_count(check, instance_id, "claim") == 1


def test_completion_loses_to_a_claim_committed_after_it_loaded(fresh_engine) -> None:
    engine = fresh_engine()
    instance_id, task_id = _at_review(engine)
    sessions = make_sessionmaker(engine)
    claimer, completer = sessions(), sessions()
    try:
        seen = tasks.get(completer, task_id), instances.get(completer, instance_id)
        assert seen[0].assignee is None  # raj has the task loaded, unclaimed...
        tasks.claim(claimer, "rita", NOW, task_id)  # ...then rita claims it and commits
        claimer.commit()
        with pytest.raises(Conflict, match="claimed"):
            tasks.complete(completer, "raj", NOW, task_id, {"approved": False})
            completer.commit()
        completer.rollback()
    finally:
        claimer.close()
        completer.close()
    instances.CACHE.clear()
    with sessions() as check:
        row = check.get(HumanTask, task_id)
        assert row is not None and (row.status, row.assignee) == ("open", "rita")
        assert _audit_count(check, instance_id, "complete") == 0
        inst = check.get(Instance, instance_id)
        assert inst is not None and inst.lock_version == 2
