"""A process killed with SIGKILL in the middle of a completion leaves the instance exactly as it was
before the step (or, once committed, after it) - never in between."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from engine import definitions, instances, org, tasks
from engine.db import make_sessionmaker
from engine.models import AuditEvent, HumanTask, Instance

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).resolve().parent / "crash_child.py"
MODEL = ROOT / "processes" / "leave_request.bpmn"
NOW = datetime(2026, 11, 2, 1, tzinfo=UTC)


def _prepare(engine) -> tuple[int, str]:
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        org.create_user(session, "clerk", groups=["dept_head"])
        definitions.deploy(session, "clerk", NOW, [(MODEL.name, MODEL.read_bytes())])
        inst = instances.start(session, "clerk", NOW, "leave_request", {"days": 2})
        task = tasks.open_for_instance(session, inst.id)[0]
        return inst.id, task.id


def _snapshot(engine, instance_id: int) -> tuple[object, ...]:
    with make_sessionmaker(engine)() as session:
        inst = session.get(Instance, instance_id)
        assert inst is not None
        rows = session.execute(select(HumanTask.element_id, HumanTask.status).where(
            HumanTask.instance_id == instance_id).order_by(HumanTask.created_at, HumanTask.element_id)).all()
        audits = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == instance_id))
        return inst.state, inst.lock_version, inst.status, tuple(rows), audits


def _run_child_until(engine, task_id: str, point: str, line: str) -> None:
    url = engine.url.render_as_string(hide_password=False)
    child = subprocess.Popen([sys.executable, str(CHILD), url, task_id, point], cwd=str(ROOT), text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None
    seen = child.stdout.readline().strip()  # waits for the child to reach the point; no sleeps
    assert seen == line, child.stderr.read() if child.stderr else seen
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def test_kill_after_flush_before_commit_leaves_the_step_undone(fresh_engine) -> None:
    engine = fresh_engine()
    instance_id, task_id = _prepare(engine)
    before = _snapshot(engine, instance_id)
    _run_child_until(engine, task_id, "before-commit", "flushed")
    engine.dispose()  # fresh connections see only what was committed
    assert _snapshot(engine, instance_id) == before
    instances.CACHE.clear()
    with make_sessionmaker(engine).begin() as session:
        tasks.complete(session, "clerk", NOW, task_id, {"approved": True})
    state, version, status, rows, audits = _snapshot(engine, instance_id)
    assert version == before[1] + 1 and ("apply", "completed") in rows and ("head_review", "open") in rows
    assert audits == before[4] + 1


def test_kill_after_commit_keeps_the_whole_step(fresh_engine) -> None:
    engine = fresh_engine()
    instance_id, task_id = _prepare(engine)
    before = _snapshot(engine, instance_id)
    _run_child_until(engine, task_id, "after-commit", "committed")
    engine.dispose()
    state, version, status, rows, audits = _snapshot(engine, instance_id)
    assert version == before[1] + 1 and state != before[0]
    assert ("apply", "completed") in rows and ("head_review", "open") in rows
    assert audits == before[4] + 1
