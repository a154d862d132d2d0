"""督办: the leader's instruction gives every handling department one date; each then gets its own."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine.clocks.models import Clock
from engine.core.errors import Conflict, Forbidden, InvalidInput
from engine.core.models import AuditEvent
from engine.gov import duban
from engine.org.models import Notification
from tests.processes.conftest import Gov, last_day

INCOMING = {"title": "关于开展安全生产大检查的通知", "doc_number": "某省府发〔2026〕8号", "unit": "szfb",
            "kind": "main", "from_unit": "省政府办公厅", "urgency": "特急"}


def instructed(gov: Gov) -> tuple[int, dict[str, Clock]]:
    """An incoming document the leader sent to 住建局 and 市场监管局, both by 20 November."""
    gov.deploy("document_incoming.bpmn")
    iid = gov.start("document_incoming", INCOMING)
    gov.complete(iid, "sign_in", "szfb_clerk", {})
    gov.complete(iid, "register", "szfb_clerk", {"received_no": "收〔2026〕101"})
    gov.complete(iid, "propose", "szfb_head", {"proposal": "handle"})
    gov.complete(iid, "instruct", "szfb_leader", {"handle_depts": ["zjj", "scjg"], "handle_due": "2026-11-20",
                                                 "readers": []})
    by_dept = {c.department_code or "": c for c in gov.clocks(iid) if c.element_id == "handle"}
    assert sorted(by_dept) == ["scjg", "zjj"]
    return iid, by_dept


def test_the_instructing_leader_gives_one_department_an_earlier_date(gov: Gov) -> None:
    iid, clocks = instructed(gov)
    zjj, scjg = clocks["zjj"], clocks["scjg"]
    assert duban.opened_by(gov.session, zjj) == "szfb_leader"
    duban.set_deadline(gov.session, "szfb_leader", gov.now, zjj.id, date(2026, 11, 13), "住建局牵头，须先报初步意见")
    gov.session.expire_all()
    assert last_day(gov.session.get(Clock, zjj.id)) == date(2026, 11, 13)
    assert last_day(gov.session.get(Clock, scjg.id)) == date(2026, 11, 20), "the other department keeps its date"
    event = gov.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                         AuditEvent.action == "clock_deadline")).one()
    assert event.actor == "szfb_leader" and event.detail["reason"] == "住建局牵头，须先报初步意见"
    assert event.detail["due_date"] == "2026-11-13" and event.detail["clock_id"] == zjj.id
    told = gov.session.scalars(select(Notification.recipient).where(Notification.clock_id == zjj.id)).all()
    assert "zjj_clerk" in told and "scjg_clerk" not in told, "the holders of that department's step are told"


def test_supervision_staff_may_set_it_the_handling_clerk_may_not(gov: Gov) -> None:
    _, clocks = instructed(gov)
    zjj = clocks["zjj"]
    assert duban.may_set_deadline(gov.session, "supervisor", zjj)
    assert not duban.may_set_deadline(gov.session, "zjj_clerk", zjj)
    with pytest.raises(Forbidden, match="批办领导或督查人员"):
        duban.set_deadline(gov.session, "zjj_clerk", gov.now, zjj.id, date(2026, 12, 31), "想多要些时间")
    duban.set_deadline(gov.session, "supervisor", gov.now, zjj.id, date(2026, 11, 27), "市督查室同意延至月底前")
    gov.session.expire_all()
    assert last_day(gov.session.get(Clock, zjj.id)) == date(2026, 11, 27)


def test_a_reason_is_required_and_statutory_or_stopped_clocks_are_refused(gov: Gov) -> None:
    iid, clocks = instructed(gov)
    zjj = clocks["zjj"]
    with pytest.raises(InvalidInput) as missing:
        duban.set_deadline(gov.session, "szfb_leader", gov.now, zjj.id, date(2026, 11, 13), "  ")
    assert missing.value.field == "reason"
    gov.session.expire_all()
    assert last_day(gov.session.get(Clock, zjj.id)) == date(2026, 11, 20), "a refused change changes nothing"
    for t in [t for t in gov.open_tasks(iid) if t.element_id == "handle"]:
        clerk = "zjj_clerk" if gov.session.get(Clock, zjj.id).task_id == t.id else "scjg_clerk"
        gov.complete(iid, "handle", clerk, {"result": "已办理"}, task_id=t.id)
    gov.session.expire_all()
    stopped = gov.session.get(Clock, zjj.id)
    assert not stopped.active and not duban.may_set_deadline(gov.session, "szfb_leader", stopped)
    with pytest.raises(Conflict, match="已结束"):
        duban.set_deadline(gov.session, "szfb_leader", gov.now, zjj.id, date(2026, 11, 13), "补设")


def test_a_statutory_limit_is_not_a_person_set_date(gov: Gov) -> None:
    gov.deploy("licence_joint.bpmn")
    iid = gov.start("licence_joint", {"applicant": "某某公司", "matter": "食品经营许可",
                                      "review_depts": ["scjg"], "lead_dept": "scjg"}, actor="window_clerk")
    statutory = [c for c in gov.clocks(iid) if c.policy_code != "duban"]
    assert statutory, "the licence case runs a statutory clock"
    assert not duban.may_set_deadline(gov.session, "supervisor", statutory[0])
    with pytest.raises(Conflict, match="法定时限"):
        duban.set_deadline(gov.session, "supervisor", gov.now, statutory[0].id, date(2026, 12, 31), "提前")
