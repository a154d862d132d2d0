"""A process killed with SIGKILL in the middle of a completion leaves the instance exactly as it was
before the step (or, once committed, exactly after it) - never in between. The child stops at a hook
in instances._save (AFTER_SAVE_HOOKS: the workflow has advanced and been flushed, the transaction is
still open) and tells the parent so through a pipe; no sleeps."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from engine.core.db import make_sessionmaker
from engine.core.models import AuditEvent
from engine.flow import definitions, instances, tasks
from engine.flow.models import HumanTask, Instance, InstanceStateDelta, TaskCandidate
from engine.org import directory as org

ROOT = Path(__file__).resolve().parents[3]
CHILD = Path(__file__).resolve().parent / "crash_child.py"
FIXTURE = ROOT / "tests" / "fixtures" / "bpmn" / "approval.bpmn"
NOW = datetime(2026, 11, 2, 1, tzinfo=UTC)
DATA = {"dept": "dept_tax", "backup": "", "deadline": "2026-11-10T09:00:00+08:00", "urgency": 1}


def _prepare(engine) -> tuple[int, str]:
    """A committed instance at the review step, for reviewer rita."""
    with make_sessionmaker(engine).begin() as session:
        org.create_user(session, "alice")
        org.create_user(session, "rita", groups=["reviewers"])
        definitions.deploy(session, "alice", NOW, [(FIXTURE.name, FIXTURE.read_bytes())])
        inst = instances.start(session, "alice", NOW, "approval", DATA)
        tasks.complete(session, "alice", NOW, tasks.open_for_instance(session, inst.id)[0].id, {})
        return inst.id, tasks.open_for_instance(session, inst.id)[0].id


def _rows(session, model, *where) -> list[dict[str, object]]:
    """Every column of the matching rows, in primary-key order."""
    order = list(model.__table__.primary_key.columns)
    return [dict(r._mapping) for r in session.execute(select(*model.__table__.columns).where(*where)
                                                      .order_by(*order)).all()]


def _snapshot(engine, instance_id: int) -> dict[str, object]:
    """Everything the step may write: the instance row, task rows, candidates and audit rows."""
    with make_sessionmaker(engine)() as session:
        task_ids = select(HumanTask.id).where(HumanTask.instance_id == instance_id)
        return {
            "instance": _rows(session, Instance, Instance.id == instance_id),
            "tasks": _rows(session, HumanTask, HumanTask.instance_id == instance_id),
            "candidates": _rows(session, TaskCandidate, TaskCandidate.task_id.in_(task_ids)),
            "audit": _rows(session, AuditEvent, AuditEvent.instance_id == instance_id),
            "deltas": _rows(session, InstanceStateDelta, InstanceStateDelta.instance_id == instance_id),
        }


def _run_child_until(engine, task_id: str, point: str) -> str:
    """Start the child, wait for its line at `point`, kill it with SIGKILL; returns the line."""
    url = engine.url.render_as_string(hide_password=False)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, str(CHILD), url, task_id, point], cwd=str(ROOT), env=env,
                             text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    try:
        line = child.stdout.readline().strip()  # blocks until the child reaches the point
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
    assert line, child.stderr.read()
    assert child.returncode == -signal.SIGKILL
    return line


def test_kill_inside_the_open_transaction_leaves_the_step_undone(fresh_engine) -> None:
    engine = fresh_engine()
    instance_id, task_id = _prepare(engine)
    before = _snapshot(engine, instance_id)
    version = before["instance"][0]["lock_version"]
    line = _run_child_until(engine, task_id, "before-commit")
    assert line == f"flushed {version + 1}"  # the step was written inside the child's transaction
    engine.dispose()  # new connections: only what was committed is visible
    assert _snapshot(engine, instance_id) == before

    instances.CACHE.clear()
    with make_sessionmaker(engine).begin() as session:
        tasks.complete(session, "rita", NOW, task_id, {"approved": True}, "同意")
    after = _snapshot(engine, instance_id)
    assert after["instance"][0]["lock_version"] == version + 1
    assert {(t["element_id"], t["status"]) for t in after["tasks"]} == {
        ("fill", "completed"), ("review", "completed"), ("record", "open")}
    assert after["audit"][:len(before["audit"])] == before["audit"]
    assert [a["action"] for a in after["audit"][len(before["audit"]):]] == ["complete"]


def test_kill_after_commit_keeps_the_whole_step(fresh_engine) -> None:
    engine = fresh_engine()
    instance_id, task_id = _prepare(engine)
    before = _snapshot(engine, instance_id)
    version = before["instance"][0]["lock_version"]
    assert _run_child_until(engine, task_id, "after-commit") == "committed"
    engine.dispose()
    after = _snapshot(engine, instance_id)
    assert after["instance"][0]["lock_version"] == version + 1
    assert (after["instance"][0]["state"], after["deltas"]) != (before["instance"][0]["state"], before["deltas"])
    assert {(t["element_id"], t["status"], t["completed_by"]) for t in after["tasks"]} == {
        ("fill", "completed", "alice"), ("review", "completed", "rita"), ("record", "open", None)}
    new_audit = after["audit"][len(before["audit"]):]
    assert [(a["actor"], a["action"], a["opinion"]) for a in new_audit] == [("rita", "complete", "同意")]
    assert new_audit[0]["changes"] == {"approved": [None, True]}
    assert {"kind": "group", "value": "office"}.items() <= next(
        c for c in after["candidates"] if c["value"] == "office").items()
    instances.CACHE.clear()
    with make_sessionmaker(engine)() as session:  # the committed state loads and shows the next step
        inst = session.get(Instance, instance_id)
        assert inst is not None and instances.current_data(session, inst, NOW)["approved"] is True
