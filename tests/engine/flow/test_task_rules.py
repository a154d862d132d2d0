"""Rules around human tasks that are easy to lose: lanes and Activiti candidates in the projection,
who counts as starter and administrator, refused input that changes nothing, and deployment problems
located by file, line and element."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.core import audit
from engine.core.errors import Conflict, Forbidden, InvalidDefinition, InvalidInput
from engine.core.models import AuditEvent
from engine.flow import definitions, instances, tasks
from engine.flow.models import DefinitionFile, HumanTask
from engine.org import directory as org

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn"
APPROVAL = {"dept": "dept_tax", "backup": "", "deadline": "2026-11-10T09:00:00+08:00", "urgency": 5}


def _file(name: str) -> tuple[str, bytes]:
    return name, (FIXTURES / name).read_bytes()


def _only(session, instance_id: int) -> HumanTask:
    [row] = tasks.open_for_instance(session, instance_id)
    return row


def _candidates(row: HumanTask) -> set[tuple[str, str]]:
    return {(c.kind, c.value) for c in row.candidates}


@pytest.fixture
def people(session):
    for name, groups, department in [("alice", [], None), ("bob", [], None), ("carl", ["clerks"], None),
                                     ("hana", [], "dept_head"), ("lu", [], None), ("ann", [], None),
                                     ("lena", ["legal"], None), ("root", ["admin"], None),
                                     ("mallory", [], "admin")]:
        org.create_user(session, name, groups=groups, department=department)
    return session


def test_a_lanes_only_process_routes_by_lane(people, now) -> None:
    session = people
    definitions.deploy(session, "designer", now, [_file("lanes_only.bpmn")])
    inst = instances.start(session, "alice", now, "lanes_only")
    prepare = _only(session, inst.id)
    assert (prepare.element_id, prepare.lane, prepare.assignee) == ("prepare", "clerks", None)
    assert _candidates(prepare) == {("group", "clerks")}  # the lane, not the starter
    with pytest.raises(Forbidden):
        tasks.complete(session, "alice", now, prepare.id, {})
    assert [t.id for t in tasks.list_open(session, "carl")] == [prepare.id]
    tasks.complete(session, "carl", now, prepare.id, {})
    sign = _only(session, inst.id)
    assert (sign.element_id, sign.lane, _candidates(sign)) == ("sign", "dept_head", {("group", "dept_head")})
    with pytest.raises(Forbidden):
        tasks.complete(session, "carl", now, sign.id, {})
    tasks.complete(session, "hana", now, sign.id, {})  # a lane may name a department
    assert instances.get(session, inst.id).status == instances.COMPLETED


def test_activiti_candidate_users_claim_and_initiator(people, now) -> None:
    session = people
    definitions.deploy(session, "designer", now, [_file("activiti_review.bpmn")])
    inst = instances.start(session, "alice", now, "activiti_review", {})
    check = _only(session, inst.id)
    assert _candidates(check) == {("user", "lu"), ("user", "ann"), ("group", "legal")}
    assert (check.assignee, check.form_key, check.priority) == (None, "check_form", 40)
    assert {name: check.id in {t.id for t in tasks.list_open(session, name)}
            for name in ("lu", "ann", "lena", "bob")} == {"lu": True, "ann": True, "lena": True, "bob": False}
    tasks.claim(session, "ann", now, check.id)
    with pytest.raises(Conflict, match="claimed by ann"):
        tasks.complete(session, "lu", now, check.id, {})
    tasks.complete(session, "ann", now, check.id, {"ok": True}, "无异议")
    acknowledge = _only(session, inst.id)
    assert (acknowledge.element_id, acknowledge.assignee) == ("acknowledge", "alice")  # ${applicant}


def test_start_data_cannot_impersonate_the_initiator(people, now) -> None:
    session = people
    definitions.deploy(session, "designer", now, [_file("approval.bpmn")])
    inst = instances.start(session, "alice", now, "approval", {**APPROVAL, "starter": "bob"})
    fill = _only(session, inst.id)
    assert fill.assignee == "alice"  # assignee="${starter}" is whoever really started the case
    assert instances.current_data(session, inst, now)["starter"] == "alice"
    with pytest.raises(Forbidden):
        tasks.complete(session, "bob", now, fill.id, {})


def test_only_the_admin_group_grants_admin_rights(people, now) -> None:
    session = people
    definitions.deploy(session, "designer", now, [_file("approval.bpmn")])
    inst = instances.start(session, "alice", now, "approval", APPROVAL)
    fill = _only(session, inst.id)
    # mallory's department is coded 'admin': it may match candidates, but it is not the admin group
    assert (org.is_admin(session, "mallory"), org.is_admin(session, "root")) == (False, True)
    assert "admin" in org.group_codes(session, "mallory")
    assert tasks.list_open(session, "mallory") == []
    for attempt in (lambda: tasks.complete(session, "mallory", now, fill.id, {}),
                    lambda: instances.cancel(session, "mallory", now, inst.id),
                    lambda: instances.set_suspended(session, "mallory", now, inst.id, True)):
        with pytest.raises(Forbidden):
            attempt()
    # a member of the admin group may work a task assigned to someone else and cancel any case
    assert fill.id in {t.id for t in tasks.list_open(session, "root")}
    tasks.complete(session, "root", now, fill.id, {"note": "on behalf"})
    assert tasks.get(session, fill.id).completed_by == "root"
    instances.cancel(session, "root", now, inst.id, "duplicate")
    assert instances.get(session, inst.id).status == instances.CANCELLED
    assert [(e.action, e.actor) for e in audit.trail(session, inst.id)][-2:] == [("complete", "root"),
                                                                                ("cancel", "root")]


@pytest.mark.parametrize(("data", "field"), [
    ([{"approved": True}], "data"),
    ("approved", "data"),
    ({"1st": 1}, "data.1st"),
    ({"a-b": 1}, "data.a-b"),
    ({"_secret": 1}, "data._secret"),
    ({"when": object()}, "data"),
])
def test_bad_data_is_refused_naming_the_field_and_changes_nothing(people, now, data, field) -> None:
    session = people
    definitions.deploy(session, "designer", now, [_file("approval.bpmn")])
    with pytest.raises(InvalidInput) as refused:
        instances.start(session, "alice", now, "approval", data)
    assert refused.value.field == field
    inst = instances.start(session, "alice", now, "approval", APPROVAL)
    fill = _only(session, inst.id)
    version = inst.lock_version
    events = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.instance_id == inst.id))
    with pytest.raises(InvalidInput) as refused:
        tasks.complete(session, "alice", now, fill.id, data)
    assert refused.value.field == field
    if field != "data":
        assert f"'{field[5:]}'" in str(refused.value)
    assert (inst.lock_version, tasks.get(session, fill.id).status) == (version, "open")
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.instance_id == inst.id)) == events


def test_problems_are_located_and_a_refused_batch_stores_nothing(session, now) -> None:
    text = (FIXTURES / "approval.bpmn").read_text(encoding="utf-8")
    broken = text.replace('sourceRef="fill" targetRef="review"', 'sourceRef="fill" targetRef="nowhere"')
    line = next(n for n, row in enumerate(broken.splitlines(), 1) if 'targetRef="nowhere"' in row)
    files = session.scalar(select(func.count()).select_from(DefinitionFile))
    with pytest.raises(InvalidDefinition) as refused:
        definitions.deploy(session, "designer", now, [_file("child_review.bpmn"), ("broken.bpmn", broken.encode())])
    errors = [p for p in refused.value.problems if p.severity == "error"]
    assert [(p.file, p.line, p.element_id) for p in errors] == [("broken.bpmn", line, "f2")]
    assert "nowhere" in errors[0].message
    assert f"broken.bpmn:{line} [f2]" in str(refused.value)
    assert session.scalar(select(func.count()).select_from(DefinitionFile)) == files
    assert definitions.latest_version(session, "child_review") is None  # the good file went nowhere either
