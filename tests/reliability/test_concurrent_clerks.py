"""16 clerks at once on one case (real commits, one connection each, SQLite and PostgreSQL): different
tasks of one instance all succeed, the same task has exactly one winner; nothing lost, nothing twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select

from engine.core.db import make_sessionmaker
from engine.core.errors import Conflict
from engine.core.models import AuditEvent
from engine.flow import definitions, instances, tasks
from engine.flow.models import HumanTask, Instance
from engine.org import directory as org
from tests.reliability.bpmn import countersign_process, parallel_process
from tests.reliability.conftest import report

NOW = datetime(2026, 11, 2, 1, tzinfo=UTC)
CLERKS = 16


def _setup(engine, filename: str, content: bytes, process_id: str, data: dict) -> int:
    with make_sessionmaker(engine).begin() as session:
        for n in range(CLERKS):
            org.create_user(session, f"clerk_{n}", groups=["clerks"])
        definitions.deploy(session, "clerk_0", NOW, [(filename, content)])
        return instances.start(session, "clerk_0", NOW, process_id, data).id


def race(engine, work: list[tuple[str, Callable[..., object]]]) -> list[str]:
    """Run each (user, action(session, user)) in its own thread and connection, all released together."""
    sessions = make_sessionmaker(engine)
    barrier = threading.Barrier(len(work))
    outcomes: list[str] = [""] * len(work)

    def run(index: int, user: str, action: Callable[..., object]) -> None:
        with sessions() as session:
            try:
                barrier.wait(timeout=60)
                action(session, user)
                session.commit()
                outcomes[index] = "done"
            except Conflict:
                session.rollback()
                outcomes[index] = "conflict"
            except Exception as exc:  # shown in the assertion
                session.rollback()
                outcomes[index] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i, user, action)) for i, (user, action) in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _open(engine, instance_id: int) -> list[HumanTask]:
    instances.CACHE.clear()
    with make_sessionmaker(engine)() as session:
        return tasks.open_for_instance(session, instance_id)


def _completions(engine, instance_id: int) -> int:
    with make_sessionmaker(engine)() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == instance_id, AuditEvent.action == "complete"))


def _complete(task_id: str) -> Callable[..., object]:
    return lambda session, user: tasks.complete(session, user, NOW, task_id, {"ok": True}, "同意")


def _check_after(engine, instance_id: int, steps: int) -> None:
    assert [t.element_id for t in _open(engine, instance_id)] == ["after"]
    assert _completions(engine, instance_id) == steps
    with make_sessionmaker(engine)() as session:
        inst = session.get(Instance, instance_id)
        assert inst is not None and inst.lock_version == steps + 1  # the start, then one write per completion


def test_sixteen_parallel_branches_completed_at_once_all_succeed(fresh_engine) -> None:
    engine = fresh_engine()
    instance_id = _setup(engine, "parallel16.bpmn", parallel_process("parallel16", CLERKS), "parallel16", {})
    branches = _open(engine, instance_id)
    assert len(branches) == CLERKS
    outcomes = race(engine, [(row.assignee, _complete(row.id)) for row in branches])
    report(f"16 parallel branches at once: {outcomes.count('done')}/16 succeeded, {outcomes.count('conflict')} got 409")
    assert outcomes == ["done"] * CLERKS, outcomes
    _check_after(engine, instance_id, CLERKS)


def test_sixteen_countersigners_signing_at_once_all_succeed(fresh_engine) -> None:
    engine = fresh_engine()
    signers = [f"clerk_{n}" for n in range(CLERKS)]
    instance_id = _setup(engine, "sign16.bpmn", countersign_process("sign16"), "sign16", {"signers": signers})
    parts = _open(engine, instance_id)
    assert sorted(row.assignee for row in parts) == sorted(signers)
    outcomes = race(engine, [(row.assignee, _complete(row.id)) for row in parts])
    report(f"会签 with 16 signers at once: {outcomes.count('done')}/16 succeeded, {outcomes.count('conflict')} got 409")
    assert outcomes == ["done"] * CLERKS, outcomes
    _check_after(engine, instance_id, CLERKS)


def test_sixteen_clerks_on_the_same_task_have_one_winner(fresh_engine) -> None:
    engine = fresh_engine()
    content = parallel_process("group_one", 1, 'camunda:candidateGroups="clerks"')
    instance_id = _setup(engine, "group_one.bpmn", content, "group_one", {})
    (only,) = _open(engine, instance_id)
    outcomes = race(engine, [(f"clerk_{n}", _complete(only.id)) for n in range(CLERKS)])
    report(f"16 clerks on one task: {outcomes.count('done')} winner, {outcomes.count('conflict')} got 409 "
           f"(lost 0, duplicated {max(outcomes.count('done') - 1, 0)})")
    assert sorted(outcomes) == ["conflict"] * (CLERKS - 1) + ["done"], outcomes
    _check_after(engine, instance_id, 1)
