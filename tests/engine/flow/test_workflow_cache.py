"""Deserialized workflows kept between requests: a version only read goes back to the cache at once (the
task page, then its completion, deserialize once), a version written and rolled back never gets there."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.core.db import make_sessionmaker
from engine.flow import definitions, instances, task_actions, tasks
from engine.flow.models import Instance
from engine.org import directory as org

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn" / "approval.bpmn"
NOW = datetime(2026, 11, 2, 1, tzinfo=UTC)
DATA = {"dept": "dept_tax", "backup": "", "deadline": "2026-11-10T09:00:00+08:00", "urgency": 1}


def _at_review(engine: Any) -> tuple[int, str, str]:
    with make_sessionmaker(engine).begin() as session:
        org.create_user(session, "alice")
        org.create_user(session, "rita", groups=["reviewers"])
        definitions.deploy(session, "alice", NOW, [(FIXTURE.name, FIXTURE.read_bytes())])
        inst = instances.start(session, "alice", NOW, "approval", DATA)
        tasks.complete(session, "alice", NOW, tasks.open_for_instance(session, inst.id)[0].id, {})
        review = tasks.open_for_instance(session, inst.id)[0]
        return inst.id, inst.uid, review.id


def _version(engine: Any, instance_id: int) -> int:
    with make_sessionmaker(engine)() as s:
        inst = s.get(Instance, instance_id)
        assert inst is not None
        return inst.lock_version


def test_a_version_only_read_is_kept_for_the_step_that_follows(fresh_engine: Any) -> None:
    engine = fresh_engine()
    instance_id, uid, review = _at_review(engine)
    version = _version(engine, instance_id)
    instances.CACHE.clear()
    with make_sessionmaker(engine)() as page:  # a GET: reads, never commits
        inst = instances.get(page, instance_id)
        assert instances.current_data(page, inst, NOW)["dept"] == "dept_tax"
        assert [t["element_id"] for t in task_actions.send_back_targets(page, NOW, review)] == ["fill"]
    kept = instances.CACHE.take((uid, version))
    assert kept is not None  # what the page deserialized waits for the completion
    instances.CACHE.put((uid, version), kept)
    with make_sessionmaker(engine).begin() as step:
        tasks.complete(step, "rita", NOW, review, {"approved": True})
        assert instances.CACHE.take((uid, version)) is None  # the step took it: no second deserialization
    assert instances.CACHE.take((uid, version + 1)) is not None  # the committed result is offered in turn


def test_a_version_written_then_read_and_rolled_back_never_reaches_the_cache(fresh_engine: Any) -> None:
    engine = fresh_engine()
    instance_id, uid, review = _at_review(engine)
    version = _version(engine, instance_id)
    instances.CACHE.clear()
    with make_sessionmaker(engine)() as step:
        tasks.complete(step, "rita", NOW, review, {"approved": True})
        inst = instances.get(step, instance_id)
        assert inst.lock_version == version + 1
        assert instances.current_data(step, inst, NOW)["approved"] is True  # read after its own write
        step.rollback()
    assert instances.CACHE.take((uid, version + 1)) is None
    with make_sessionmaker(engine)() as again:  # what was committed: the review is still open
        assert [t.id for t in tasks.open_for_instance(again, instance_id)] == [review]
        assert "approved" not in instances.current_data(again, instances.get(again, instance_id), NOW)
