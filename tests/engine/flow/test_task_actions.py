"""退回, 撤回, 驳回, 转办, 委派, 抄送, 催办 on the leave-request process, each refused where it must be."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import runtime
from engine.core import audit
from engine.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.flow import definitions, instances, task_actions, tasks
from engine.flow.models import CarbonCopy, HumanTask
from engine.org import directory as org
from engine.org import notify

PROCESSES = Path(__file__).resolve().parents[3] / "processes"


@pytest.fixture
def world(session: Session, now: datetime) -> Session:
    for name, groups in [("zhang", ["clerk"]), ("li", ["dept_head"]), ("li2", ["dept_head"]),
                         ("wang", ["office"]), ("zhao", []), ("jian", ["supervisor"])]:
        org.create_user(session, name, groups=groups, email=f"{name}@example.gov.cn")
    definitions.deploy(session, "admin", now, [("leave_request.bpmn", (PROCESSES / "leave_request.bpmn").read_bytes())])
    return session


def _open(session: Session, instance_id: int, element: str) -> HumanTask:
    [row] = [t for t in tasks.open_for_instance(session, instance_id) if t.element_id == element]
    return row


def _submitted(session: Session, now: datetime) -> int:
    inst = instances.start(session, "zhang", now, "leave_request", {"days": 2})
    tasks.complete(session, "zhang", now, _open(session, inst.id, "apply").id, {"days": 3, "reason": "探亲"})
    return inst.id


def _actions(session: Session, instance_id: int) -> list[str]:
    return [e.action for e in audit.trail(session, instance_id)]


def test_send_back_reopens_the_chosen_step_for_its_person_with_the_form_filled(world: Session, now: datetime) -> None:
    inst = _submitted(world, now)
    review = _open(world, inst, "head_review")
    [target] = task_actions.send_back_targets(world, now, review.id)
    assert target["element_id"] == "apply" and target["completed_by"] == "zhang"
    with pytest.raises(InvalidInput) as no_reason:
        task_actions.send_back(world, "li", now, review.id, target["task_id"], " ")
    assert no_reason.value.field == "reason"
    with pytest.raises(Forbidden):
        task_actions.send_back(world, "zhao", now, review.id, target["task_id"], "材料不全")
    later = now + timedelta(hours=1)
    task_actions.send_back(world, "li", later, review.id, target["task_id"], "请补充请假事由")
    instances.CACHE.clear()
    apply = _open(world, inst, "apply")
    assert apply.assignee == "zhang" and apply.id == target["task_id"]
    assert [t.element_id for t in tasks.open_for_instance(world, inst)] == ["apply"]
    assert world.get(HumanTask, review.id).status == "cancelled"
    loaded = instances.load(world, instances.get(world, inst), later)
    assert runtime.find_task(loaded.wf, apply.id).data["days"] == 2  # the case data as before the step
    assert apply.properties["previous_submission"] == {"days": 3, "reason": "探亲"}
    [event] = [e for e in audit.trail(world, inst) if e.action == "send_back"]
    assert event.actor == "li" and event.opinion == "请补充请假事由" and event.detail["to_user"] == "zhang"
    # The case runs on normally after the correction, and the trail keeps both rounds.
    tasks.complete(world, "zhang", later, apply.id, {"days": 3, "reason": "探亲，已补充"})
    tasks.complete(world, "li", later, _open(world, inst, "head_review").id, {"approved": True})
    tasks.complete(world, "wang", later, _open(world, inst, "record").id)
    assert instances.get(world, inst).status == "completed"
    assert _actions(world, inst).count("complete") == 4  # apply twice, review, record


def test_withdraw_only_before_the_next_person_acts(world: Session, now: datetime) -> None:
    inst = _submitted(world, now)
    with pytest.raises(Conflict):
        task_actions.withdraw(world, "li", now, inst)  # not the sender
    task_actions.withdraw(world, "zhang", now, inst)
    apply = _open(world, inst, "apply")
    assert apply.assignee == "zhang" and [t.element_id for t in tasks.open_for_instance(world, inst)] == ["apply"]
    tasks.complete(world, "zhang", now, apply.id, {"days": 4})
    tasks.claim(world, "li", now, _open(world, inst, "head_review").id)
    with pytest.raises(Conflict, match="before anyone acts"):
        task_actions.withdraw(world, "zhang", now, inst)
    assert "withdraw" in _actions(world, inst)


def test_reject_ends_the_case_with_its_reason(world: Session, now: datetime) -> None:
    inst = _submitted(world, now)
    review = _open(world, inst, "head_review")
    with pytest.raises(InvalidInput):
        task_actions.reject(world, "li", now, review.id, "")
    task_actions.reject(world, "li", now, review.id, "年假已休完")
    assert instances.get(world, inst).status == "rejected"
    assert tasks.open_for_instance(world, inst) == []
    [event] = [e for e in audit.trail(world, inst) if e.action == "reject"]
    assert event.opinion == "年假已休完"
    with pytest.raises(Conflict):
        tasks.complete(world, "li", now, review.id, {"approved": True})


def test_transfer_hands_the_task_over_and_tells_the_new_holder(world: Session, now: datetime) -> None:
    inst = _submitted(world, now)
    review = _open(world, inst, "head_review")
    with pytest.raises(InvalidInput) as unknown:
        task_actions.transfer(world, "li", now, review.id, "nobody", "出差")
    assert unknown.value.field == "to_user"
    task_actions.transfer(world, "li", now, review.id, "zhao", "本人出差，请赵处理")
    assert tasks.get(world, review.id).assignee == "zhao"
    with pytest.raises(Conflict, match="zhao"):
        tasks.complete(world, "li", now, review.id, {"approved": True})
    assert [n.subject for n in notify.list_inapp(world, "zhao")] == ["转办：部门负责人审批"]
    tasks.complete(world, "zhao", now, review.id, {"approved": True})


def test_delegated_work_comes_back_to_the_delegator(world: Session, now: datetime) -> None:
    inst = _submitted(world, now)
    review = _open(world, inst, "head_review")
    task_actions.delegate(world, "li", now, review.id, "zhao", "请核实请假天数")
    with pytest.raises(Conflict, match="hand it back"):
        tasks.complete(world, "zhao", now, review.id, {"approved": True})
    with pytest.raises(Conflict):
        task_actions.resolve(world, "li", now, review.id, "我自己处理")
    task_actions.resolve(world, "zhao", now, review.id, "天数属实", {"approved": True})
    row = tasks.get(world, review.id)
    assert row.assignee == "li" and row.properties["delegate_result"]["opinion"] == "天数属实"
    tasks.complete(world, "li", now, review.id, {"approved": True}, "同意")
    assert _actions(world, inst)[-3:] == ["delegate", "resolve", "complete"]


def test_carbon_copies_land_in_the_recipients_folder(world: Session, now: datetime) -> None:
    inst = _submitted(world, now)
    review = _open(world, inst, "head_review")
    with pytest.raises(InvalidInput) as empty:
        task_actions.carbon_copy(world, "li", now, review.id, [])
    assert empty.value.field == "recipients"
    [copy] = task_actions.carbon_copy(world, "li", now, review.id, ["wang", "wang "], "请知悉")
    mine = world.scalars(select(CarbonCopy).where(CarbonCopy.recipient == "wang")).all()
    assert [c.id for c in mine] == [copy.id] and copy.read_at is None
    with pytest.raises(NotFound):
        task_actions.mark_copy_read(world, "zhao", now, copy.id)
    assert task_actions.mark_copy_read(world, "wang", now, copy.id).read_at is not None


def test_urge_reaches_every_candidate_once_an_hour(world: Session, now: datetime) -> None:
    inst = _submitted(world, now)
    review = _open(world, inst, "head_review")
    with pytest.raises(Forbidden):
        task_actions.urge(world, "zhao", now, review.id)
    assert sorted(task_actions.urge(world, "zhang", now, review.id)) == ["li", "li2"]
    with pytest.raises(Conflict, match="less than an hour"):
        task_actions.urge(world, "zhang", now + timedelta(minutes=30), review.id)
    assert task_actions.urge(world, "jian", now + timedelta(minutes=30), review.id)  # a supervisor
    assert task_actions.urge(world, "zhang", now + timedelta(minutes=61), review.id)
    urged = [n for n in notify.list_inapp(world, "li") if n.kind == "urge"]
    assert len(urged) == 3
