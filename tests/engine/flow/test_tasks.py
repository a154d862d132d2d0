"""Human tasks: vendor extensions in the projection, who may claim and complete, the audit trail,
and cancel / suspend / resume of the instance around them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from engine.core import audit
from engine.core.errors import Conflict, Forbidden, NotFound
from engine.flow import definitions, forms, instances, tasks
from engine.flow.models import HumanTask
from engine.org import directory as org

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn"
DATA = {"dept": "dept_tax", "backup": "bob, carol", "deadline": "2026-11-10T09:00:00+08:00", "urgency": 80}


@pytest.fixture
def deployed(session, now):
    files = [(n, (FIXTURES / n).read_bytes()) for n in ("approval.bpmn", "countersign.bpmn")]
    definitions.deploy(session, "designer", now, files)
    org.create_user(session, "alice")
    org.create_user(session, "bob")
    org.create_user(session, "rita", groups=["reviewers"])
    org.create_user(session, "raj", groups=["reviewers"])
    org.create_user(session, "dora", department="dept_tax")
    org.create_user(session, "olga", groups=["office"])
    org.create_user(session, "eve")
    org.create_user(session, "root", groups=["admin"])
    return session


def _only(session, instance_id: int) -> HumanTask:
    [row] = tasks.open_for_instance(session, instance_id)
    return row


def _candidates(row: HumanTask) -> set[tuple[str, str]]:
    return {(c.kind, c.value) for c in row.candidates}


def _at_review(session, now) -> tuple[int, HumanTask]:
    inst = instances.start(session, "alice", now, "approval", DATA)
    tasks.complete(session, "alice", now, _only(session, inst.id).id, {})
    return inst.id, _only(session, inst.id)


def test_camunda_extensions_literal_and_expressions(deployed, now) -> None:
    session = deployed
    inst = instances.start(session, "alice", now, "approval", DATA)
    fill = _only(session, inst.id)
    # assignee="${starter}" with camunda:initiator="starter"; literal dueDate P3D, priority, properties
    assert (fill.element_id, fill.assignee, fill.form_key, fill.priority) == ("fill", "alice", "approval_fill", 10)
    assert fill.due_at == datetime(2026, 11, 5, 1, 0)
    assert fill.properties["bpmn_properties"] == {"step": "intake"}
    assert fill.lane == "clerks" and _candidates(fill) == set()  # an assignee: the lane adds nobody

    tasks.complete(session, "alice", now, fill.id, {})
    review = _only(session, inst.id)
    # candidateGroups="reviewers, ${dept}", candidateUsers="${backup}", dueDate/priority from data
    assert _candidates(review) == {("group", "reviewers"), ("group", "dept_tax"), ("user", "bob"), ("user", "carol")}
    assert review.assignee is None and review.priority == 80
    # approval_review names no form of forms/, so the review gets the form its gateway needs (approved)
    generic = forms.find_form(forms.DEFAULT_DIR, review.form_key, session)
    assert generic is not None and [(f.name, f.type) for f in generic.fields] == [("approved", "decision"),
                                                                                   ("opinion", "opinion")]
    assert review.due_at == datetime(2026, 11, 10, 1, 0)  # 09:00 China time, stored as UTC


def test_activiti_and_flowable_attributes(deployed, now) -> None:
    session = deployed
    inst = instances.start(session, "alice", now, "countersign", {"lawyer": "lu", "accountant": "ann"})
    rows = {row.element_id: row for row in tasks.open_for_instance(session, inst.id)}
    assert set(rows) == {"legal_sign", "finance_sign"}  # both branches of the parallel countersign
    legal, finance = rows["legal_sign"], rows["finance_sign"]
    assert _candidates(legal) == {("group", "legal"), ("user", "lu")}
    assert (legal.assignee, legal.form_key, legal.priority) == (None, "sign_legal", 70)
    assert (finance.assignee, finance.form_key) == ("ann", "sign_finance")
    assert finance.due_at == datetime(2026, 11, 20, 8, 0)
    assert finance.properties["bpmn_properties"] == {"budget_line": "B-7"}


def test_lane_then_starter_when_nothing_is_set(deployed, now) -> None:
    session = deployed
    instance_id, review = _at_review(session, now)
    tasks.complete(session, "rita", now, review.id, {"approved": True})
    record = _only(session, instance_id)
    assert (record.element_id, record.lane, record.assignee) == ("record", "office", None)
    assert _candidates(record) == {("group", "office")}
    tasks.complete(session, "olga", now, record.id, {})
    archive = _only(session, instance_id)
    assert (archive.element_id, archive.lane) == ("archive", None)
    assert _candidates(archive) == {("user", "alice")}  # no lane, no extension: the starter's
    with pytest.raises(Forbidden):
        tasks.complete(session, "olga", now, archive.id, {})
    tasks.complete(session, "alice", now, archive.id, {})
    assert instances.get(session, instance_id).status == instances.COMPLETED


def test_only_candidates_or_the_assignee_may_work(deployed, now) -> None:
    session = deployed
    inst = instances.start(session, "alice", now, "approval", DATA)
    fill = _only(session, inst.id)
    for outsider in ("eve", "rita"):
        with pytest.raises(Forbidden):
            tasks.complete(session, outsider, now, fill.id, {})
        with pytest.raises(Forbidden):
            tasks.claim(session, outsider, now, fill.id)
    tasks.complete(session, "alice", now, fill.id, {})
    review = _only(session, inst.id)
    with pytest.raises(Forbidden):
        tasks.complete(session, "eve", now, review.id, {})
    with pytest.raises(Forbidden):
        tasks.complete(session, "alice", now, review.id, {})  # the starter is no candidate here
    visible = {name: [t.id for t in tasks.list_open(session, name) if t.instance_id == inst.id]
               for name in ("rita", "bob", "dora", "eve", "alice", "root")}
    assert visible == {"rita": [review.id], "bob": [review.id], "dora": [review.id], "eve": [],
                       "alice": [], "root": [review.id]}
    tasks.complete(session, "dora", now, review.id, {"approved": False})  # via her department code
    assert instances.get(session, inst.id).status == instances.COMPLETED


def test_claim_and_release(deployed, now) -> None:
    session = deployed
    instance_id, review = _at_review(session, now)
    claimed = tasks.claim(session, "rita", now, review.id)
    assert (claimed.assignee, claimed.claimed_at) == ("rita", datetime(2026, 11, 2, 1, 0))
    assert tasks.claim(session, "rita", now, review.id).assignee == "rita"  # claiming again is harmless
    with pytest.raises(Conflict, match="claimed by rita"):
        tasks.claim(session, "raj", now, review.id)
    with pytest.raises(Conflict, match="claimed by rita"):
        tasks.complete(session, "raj", now, review.id, {"approved": True})
    assert [t.id for t in tasks.list_open(session, "raj") if t.instance_id == instance_id] == []
    with pytest.raises(Forbidden):
        tasks.release(session, "eve", now, review.id)

    released = tasks.release(session, "rita", now, review.id)
    assert (released.assignee, released.claimed_at) == (None, None)
    tasks.claim(session, "raj", now, review.id)
    tasks.complete(session, "raj", now, review.id, {"approved": True})
    actions = [(e.action, e.actor) for e in audit.trail(session, instance_id) if e.task_id == review.id]
    assert actions == [("claim", "rita"), ("release", "rita"), ("claim", "raj"), ("complete", "raj")]


def test_a_process_assignment_cannot_be_released(deployed, now) -> None:
    session = deployed
    inst = instances.start(session, "alice", now, "approval", DATA)
    with pytest.raises(Conflict, match="assigned by the process"):
        tasks.release(session, "alice", now, _only(session, inst.id).id)


def test_complete_records_data_changes_and_opinion(deployed, now) -> None:
    session = deployed
    instance_id, review = _at_review(session, now)
    tasks.complete(session, "rita", now, review.id, {"approved": True, "urgency": 80, "note": "ok"}, "同意")
    row = tasks.get(session, review.id)
    assert (row.status, row.completed_by, row.completed_at) == ("completed", "rita", datetime(2026, 11, 2, 1, 0))
    [event] = [e for e in audit.trail(session, instance_id) if e.action == "complete" and e.task_id == review.id]
    assert (event.actor, event.element_id, event.opinion) == ("rita", "review", "同意")
    # Only what changed: urgency was already 80.
    assert event.changes == {"approved": [None, True], "note": [None, "ok"]}
    data = instances.current_data(session, instances.get(session, instance_id), now)
    assert data["approved"] is True and data["note"] == "ok"


def test_a_case_named_after_its_title_follows_a_corrected_title(deployed, now) -> None:
    session = deployed
    named = instances.start(session, "alice", now, "approval", {**DATA, "title": "关于购置办公设备的请示"})
    tasks.complete(session, "alice", now, _only(session, named.id).id, {"title": "关于购置办公家具的请示"})
    session.expire_all()
    assert instances.get(session, named.id).title == "关于购置办公家具的请示"
    # A case given its own name (a letter's code and title) keeps it when the form's title changes.
    coded = instances.start(session, "alice", now, "approval", {**DATA, "title": "噪音扰民"}, title="XX-001 噪音扰民")
    tasks.complete(session, "alice", now, _only(session, coded.id).id, {"title": "夜间施工噪音扰民"})
    session.expire_all()
    assert instances.get(session, coded.id).title == "XX-001 噪音扰民"


def test_unknown_and_completed_tasks(deployed, now) -> None:
    session = deployed
    with pytest.raises(NotFound):
        tasks.complete(session, "alice", now, "00000000-0000-0000-0000-000000000000", {})
    with pytest.raises(NotFound):
        tasks.claim(session, "alice", now, "no-such-task")
    instance_id, review = _at_review(session, now)
    tasks.complete(session, "rita", now, review.id, {"approved": True})
    version = instances.get(session, instance_id).lock_version
    with pytest.raises(Conflict, match="completed by rita"):
        tasks.complete(session, "raj", now, review.id, {"approved": False})
    assert instances.get(session, instance_id).lock_version == version


def test_suspend_and_resume(deployed, now) -> None:
    session = deployed
    instance_id, review = _at_review(session, now)
    with pytest.raises(Forbidden):
        instances.set_suspended(session, "rita", now, instance_id, True)
    instances.set_suspended(session, "alice", now, instance_id, True)
    with pytest.raises(Conflict, match="suspended"):
        tasks.complete(session, "rita", now, review.id, {"approved": True})
    with pytest.raises(Conflict, match="suspended"):
        tasks.claim(session, "rita", now, review.id)
    assert review.id not in {t.id for t in tasks.list_open(session, "rita")}
    with pytest.raises(Conflict):
        instances.set_suspended(session, "alice", now, instance_id, True)
    instances.set_suspended(session, "root", now, instance_id, False)  # an administrator may resume
    tasks.complete(session, "rita", now, review.id, {"approved": True})
    assert _only(session, instance_id).element_id == "record"
    actions = [e.action for e in audit.trail(session, instance_id)]
    assert actions[-3:] == ["suspend", "resume", "complete"]


def test_cancel_closes_tasks_and_keeps_the_trail(deployed, now) -> None:
    session = deployed
    inst = instances.start(session, "alice", now, "countersign", {"lawyer": "lu", "accountant": "ann"})
    rows = tasks.open_for_instance(session, inst.id)
    tasks.complete(session, "ann", now, next(r.id for r in rows if r.element_id == "finance_sign"),
                   {"budget_ok": True}, "预算充足")
    with pytest.raises(Forbidden):
        instances.cancel(session, "ann", now, inst.id, "not mine")
    instances.cancel(session, "alice", now, inst.id, "withdrawn by the applicant")

    assert inst.status == instances.CANCELLED and inst.ended_at == datetime(2026, 11, 2, 1, 0)
    assert tasks.open_for_instance(session, inst.id) == []
    by_element = {r.element_id: r.status for r in rows}
    assert by_element == {"legal_sign": "cancelled", "finance_sign": "completed"}
    trail = [(e.action, e.actor, e.opinion) for e in audit.trail(session, inst.id)]
    assert trail == [("start", "alice", None), ("complete", "ann", "预算充足"),
                     ("cancel", "alice", "withdrawn by the applicant")]
    legal = next(r for r in rows if r.element_id == "legal_sign")
    with pytest.raises(Conflict, match="cancelled"):
        tasks.complete(session, "lu", now, legal.id, {})
    with pytest.raises(Conflict):
        instances.cancel(session, "alice", now, inst.id)
    with pytest.raises(Conflict):
        instances.set_suspended(session, "alice", now, inst.id, True)


def test_closed_tasks_leave_candidate_inboxes_but_keep_case_access(deployed, now) -> None:
    from sqlalchemy import select

    from engine.flow import access
    from engine.flow.models import TaskCandidate

    session = deployed
    instance_id, review = _at_review(session, now)
    assert [r.id for r in tasks.list_open(session, "rita")] == [review.id]
    assert {c.open for c in review.candidates} == {True}
    tasks.complete(session, "raj", now, review.id, {"approved": True})
    session.flush()
    stored = session.execute(select(TaskCandidate.open).where(TaskCandidate.task_id == review.id)).scalars().all()
    assert stored and not any(stored), "a completed task's candidate rows are no longer live"
    session.expire_all()
    assert review.id not in [r.id for r in tasks.list_open(session, "rita")]
    assert access.may_view(session, "rita", instances.get(session, instance_id), now), \
        "a member of the candidate group may still look at the case"
    other, cancelled = _at_review(session, now)
    instances.cancel(session, "root", now, other, "withdrawn by the applicant")
    session.flush()
    assert not any(session.execute(select(TaskCandidate.open).where(
        TaskCandidate.task_id == cancelled.id)).scalars().all())
