"""A step writes instance, projection and trail with prepared statements, not ORM flushes: what the
session holds afterwards must match the database, and a client can list the opened task ids cheaply."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select, update

from engine.core.errors import Conflict
from engine.flow import definitions, instances, step_retry, tasks
from engine.flow.models import HumanTask, Instance, TaskCandidate
from engine.org import directory as org

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn"
DATA = {"dept": "dept_tax", "backup": "bob, carol", "deadline": "2026-11-10T09:00:00+08:00", "urgency": 80}


@pytest.fixture
def deployed(session, now):
    definitions.deploy(session, "designer", now, [("approval.bpmn", (FIXTURES / "approval.bpmn").read_bytes())])
    org.create_user(session, "alice")
    org.create_user(session, "rita", groups=["reviewers"])
    return session


def _only(session, instance_id: int) -> HumanTask:
    [row] = tasks.open_for_instance(session, instance_id)
    return row


def test_open_task_ids_follow_the_case(deployed, now) -> None:
    session = deployed
    inst = instances.start(session, "alice", now, "approval", DATA)
    [(task_id, element_id)] = tasks.open_task_ids(session, inst.id)
    assert (task_id, element_id) == (_only(session, inst.id).id, _only(session, inst.id).element_id)
    tasks.complete(session, "alice", now, task_id, {})
    after = tasks.open_task_ids(session, inst.id)
    assert [e for _, e in after] == [row.element_id for row in tasks.open_for_instance(session, inst.id)]
    assert task_id not in {t for t, _ in after}


def test_loaded_rows_take_what_the_step_wrote(deployed, now) -> None:
    session = deployed
    inst = instances.start(session, "alice", now, "approval", DATA)
    tasks.complete(session, "alice", now, _only(session, inst.id).id, {})
    row = _only(session, inst.id)  # the review, offered to a group
    version = inst.lock_version
    candidates = list(row.candidates)
    assert candidates and all(c.open for c in candidates)
    tasks.complete(session, "rita", now, row.id, {"approved": True})
    # The session's objects were told, without becoming dirty...
    assert (row.status, row.completed_by) == ("completed", "rita")
    assert all(c.open is False for c in candidates)
    assert inst.lock_version == version + 1
    assert not inspect(inst).modified and not inspect(row).modified
    assert row not in session.dirty and inst not in session.dirty
    # ...and agree with the database.
    stored = session.execute(select(Instance.lock_version, Instance.state).where(Instance.id == inst.id)).one()
    assert stored.lock_version == inst.lock_version and stored.state == inst.state
    db_row = session.execute(select(HumanTask.status, HumanTask.completed_by)
                             .where(HumanTask.id == row.id)).one()
    assert tuple(db_row) == ("completed", "rita")
    stored_open = session.scalars(select(TaskCandidate.open).where(TaskCandidate.task_id == row.id)).all()
    assert stored_open and not any(stored_open)


def test_a_stale_version_in_the_session_is_read_again_and_the_step_succeeds(deployed, now) -> None:
    """Someone else's step bumped the lock version after this session loaded the instance: the step runs
    again on the committed row instead of refusing the clerk."""
    session = deployed
    inst = instances.start(session, "alice", now, "approval", DATA)
    row = _only(session, inst.id)
    session.execute(update(Instance).where(Instance.id == inst.id)
                    .values(lock_version=Instance.lock_version + 1).execution_options(synchronize_session=False))
    retried = step_retry.RETRIES_SEEN[0]
    tasks.complete(session, "alice", now, row.id, {})
    assert step_retry.RETRIES_SEEN[0] == retried + 1
    assert session.get(Instance, inst.id).lock_version == 3  # start 1, the other step 2, this one 3


def test_a_version_that_keeps_moving_is_a_conflict_after_a_bounded_number_of_tries(deployed, now) -> None:
    inst = instances.start(deployed, "alice", now, "approval", DATA)
    tries: list[int] = []

    def always_stale() -> None:
        tries.append(1)
        raise step_retry.StaleInstance("changed by someone else")

    with pytest.raises(Conflict, match="changed by someone else"):
        step_retry.run_step(deployed, inst.id, always_stale)
    assert len(tries) == step_retry.ATTEMPTS


