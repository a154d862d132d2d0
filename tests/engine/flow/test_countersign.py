"""加签/减签 on a running parallel countersign over departments chosen at run time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.errors import Conflict, Forbidden, InvalidInput
from engine.flow import definitions, instances, task_actions, tasks
from engine.flow.models import HumanTask
from engine.org import directory as org

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn"
PROCESSES = Path(__file__).resolve().parents[3] / "processes"


@pytest.fixture
def world(session: Session, now: datetime) -> Session:
    for dept in ("fgw", "scjg", "zrzy"):
        org.create_user(session, f"{dept}_boss", groups=[f"{dept}_leader"], department=dept)
    org.create_user(session, "drafter", department="szfb")
    org.create_user(session, "office_clerk", groups=["office"])
    definitions.deploy(session, "admin", now, [("countersign_departments.bpmn", (FIXTURES / "countersign_departments.bpmn").read_bytes()),
                                               ("leave_request.bpmn", (PROCESSES / "leave_request.bpmn").read_bytes())])
    return session


def _signing(session: Session, instance_id: int) -> dict[str, HumanTask]:
    return {t.properties["item"]: t for t in tasks.open_for_instance(session, instance_id) if t.element_id == "sign"}


def test_an_added_department_signs_too_before_the_step_completes(world: Session, now: datetime) -> None:
    inst = instances.start(world, "drafter", now, "countersign_departments", {"departments": ["fgw", "scjg"]}).id
    first = _signing(world, inst)
    with pytest.raises(Forbidden):
        task_actions.add_signer(world, "zrzy_boss", now, first["fgw"].id, "zrzy", "涉及用地")
    with pytest.raises(InvalidInput):
        task_actions.add_signer(world, "fgw_boss", now, first["fgw"].id, "zrzy", "")
    with pytest.raises(Conflict, match="already signs"):
        task_actions.add_signer(world, "fgw_boss", now, first["fgw"].id, "scjg", "重复")
    task_actions.add_signer(world, "fgw_boss", now, first["fgw"].id, "zrzy", "涉及用地，请自然资源局会签")
    instances.CACHE.clear()  # the added signer survives a save and reload
    world.expire_all()
    signing = _signing(world, inst)
    assert sorted(signing) == ["fgw", "scjg", "zrzy"]
    assert tasks.may_work(world, signing["zrzy"], "zrzy_boss")
    for dept in ("fgw", "scjg"):
        tasks.complete(world, f"{dept}_boss", now, signing[dept].id, {"agree": True})
    assert [t.element_id for t in tasks.open_for_instance(world, inst)] == ["sign"]  # zrzy still to sign
    tasks.complete(world, "zrzy_boss", now, signing["zrzy"].id, {"agree": True})
    assert [t.element_id for t in tasks.open_for_instance(world, inst)] == ["after"]
    assert instances.current_data(world, instances.get(world, inst), now)["departments"] == ["fgw", "scjg", "zrzy"]


def test_a_removed_signer_no_longer_holds_the_step_up(world: Session, now: datetime) -> None:
    inst = instances.start(world, "drafter", now, "countersign_departments", {"departments": ["fgw", "scjg"]}).id
    task_actions.add_signer(world, "fgw_boss", now, _signing(world, inst)["fgw"].id, "zrzy", "涉及用地")
    signing = _signing(world, inst)
    with pytest.raises(Forbidden):
        task_actions.remove_signer(world, "scjg_boss", now, signing["zrzy"].id, "不涉及")
    task_actions.remove_signer(world, "fgw_boss", now, signing["zrzy"].id, "经核实不涉及用地")
    assert world.get(HumanTask, signing["zrzy"].id).status == "cancelled"
    tasks.complete(world, "fgw_boss", now, signing["fgw"].id, {"agree": True})
    assert [t.element_id for t in tasks.open_for_instance(world, inst)] == ["sign"]
    task_actions.remove_signer(world, "drafter", now, signing["scjg"].id, "市场监管局不再参与")  # the starter
    assert [t.element_id for t in tasks.open_for_instance(world, inst)] == ["after"]
    data = instances.current_data(world, instances.get(world, inst), now)
    assert not any("removed" in key for key in data)
    actions = [e.action for e in audit.trail(world, inst)]
    assert actions.count("add_signer") == 1 and actions.count("remove_signer") == 2


def test_the_last_remaining_signer_cannot_be_removed(world: Session, now: datetime) -> None:
    inst = instances.start(world, "drafter", now, "countersign_departments", {"departments": ["fgw", "scjg"]}).id
    signing = _signing(world, inst)
    task_actions.remove_signer(world, "drafter", now, signing["fgw"].id, "不涉及")
    with pytest.raises(Conflict, match="last signer"):
        task_actions.remove_signer(world, "drafter", now, signing["scjg"].id, "也不涉及")


def test_signers_can_only_be_added_to_a_countersign(world: Session, now: datetime) -> None:
    inst = instances.start(world, "drafter", now, "leave_request", {"days": 1}).id
    [row] = tasks.open_for_instance(world, inst)
    with pytest.raises(Conflict, match="parallel countersign"):
        task_actions.add_signer(world, "drafter", now, row.id, "fgw", "多一个人")


def test_only_a_real_department_not_yet_signing_can_be_added(world: Session, now: datetime) -> None:
    inst = instances.start(world, "drafter", now, "countersign_departments", {"departments": ["fgw", "scjg"]}).id
    fgw = _signing(world, inst)["fgw"]
    offered = dict(task_actions.signer_options(world, now, fgw.id))
    assert "zrzy" in offered and "fgw" not in offered and "scjg" not in offered  # a picker of what may join
    with pytest.raises(InvalidInput, match="「财政局」不是本机关的部门") as refused:
        task_actions.add_signer(world, "fgw_boss", now, fgw.id, "财政局", "涉及资金")
    assert refused.value.field == "item"
    assert sorted(_signing(world, inst)) == ["fgw", "scjg"]  # no branch nobody can work


def test_the_starter_or_the_adder_may_remove_a_signer_others_may_not(world: Session, now: datetime) -> None:
    inst = instances.start(world, "drafter", now, "countersign_departments", {"departments": ["fgw", "scjg"]}).id
    task_actions.add_signer(world, "fgw_boss", now, _signing(world, inst)["fgw"].id, "zrzy", "涉及用地")
    zrzy = _signing(world, inst)["zrzy"]
    assert task_actions.may_remove_signer(world, "fgw_boss", zrzy) and task_actions.may_remove_signer(world, "drafter", zrzy)
    assert not task_actions.may_remove_signer(world, "scjg_boss", zrzy)


MEETING = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="meeting" name="会议" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="sign" name="会议签到">
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:loopDataInputRef>departments</bpmn:loopDataInputRef>
        <bpmn:inputDataItem id="department"/>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:userTask id="minutes" name="填写会议纪要"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sign"/>
    <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="minutes"/>
    <bpmn:sequenceFlow id="f3" sourceRef="minutes" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_the_step_right_after_a_countersign_is_not_one_of_its_signers(world: Session, now: datetime) -> None:
    definitions.deploy(world, "admin", now, [("meeting.bpmn", MEETING)])
    inst = instances.start(world, "drafter", now, "meeting", {"departments": ["fgw"]}).id
    [sign] = tasks.open_for_instance(world, inst)
    assert sign.properties["item"] == "fgw"
    tasks.complete(world, "drafter", now, sign.id, {})
    [minutes] = tasks.open_for_instance(world, inst)
    assert minutes.element_id == "minutes" and "item" not in (minutes.properties or {})
    with pytest.raises(Conflict, match="只有并行会签环节"):
        task_actions.signer_options(world, now, minutes.id)
