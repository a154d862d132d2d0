"""Official document routing: outgoing with countersign, send-backs, a deputy's sign-off, gapless numbers
(also under concurrent sign-off on a committing database) and distribution into incoming documents."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks.policies import seed_policies
from engine.core import audit
from engine.core.errors import Forbidden
from engine.core.models import AuditEvent
from engine.flow import definitions, instances, task_actions, tasks
from engine.gov import documents
from engine.gov.models import DocumentNumber
from engine.org import demo as demo_org
from engine.org import deputies
from tests.conftest import NOW
from tests.processes.conftest import PROCESSES, Gov, last_day

DRAFT = {"title": "关于做好2026年冬季安全生产工作的通知", "doc_type": "通知", "doc_word": "某府发",
         "main_to": ["fgw", "zjj"], "cc_to": ["xfj"], "secrecy": "公开", "urgency": "加急",
         "signer": "mayor_wang"}


def start_outgoing(gov: Gov, countersign: list[str] | None = None) -> int:
    iid = gov.start("document_outgoing", {}, actor="szfb_clerk")
    gov.complete(iid, "draft", "szfb_clerk", {**DRAFT, "countersign_depts": countersign or []})
    return iid


def test_countersign_objection_sends_back_then_deputy_signs_and_it_is_numbered_and_distributed(gov: Gov) -> None:
    gov.deploy("document_outgoing.bpmn", "document_incoming.bpmn")
    iid = start_outgoing(gov, ["fgw", "zjj"])
    data = gov.data(iid)
    assert data["draft_dept"] == "szfb"
    assert gov.who_may(gov.task(iid, "dept_review")) == {"szfb_head", "admin"}
    gov.complete(iid, "dept_review", "szfb_head", {"review_ok": True}, opinion="同意")
    parts = [t for t in gov.open_tasks(iid) if t.element_id == "countersign"]
    assert sorted(sorted(gov.who_may(t) - {"admin"}) for t in parts) == [["fgw_leader"], ["zjj_leader"]]
    assert {c.policy_code for c in gov.clocks(iid) if c.element_id == "countersign"} == {"countersign_reply"}
    for t in parts:
        leader = sorted(gov.who_may(t) - {"admin"})[0]
        agree = leader == "fgw_leader"
        gov.complete(iid, "countersign", leader, {"agree": agree}, opinion=None if agree else "第三条与我局职责不符",
                     task_id=t.id)
    data = gov.data(iid)
    assert data["countersign_passed"] is False and data["countersign_result"] == "1/2"
    assert data["countersign_objections"] == [{"dept": "zjj", "by": "zjj_leader", "opinion": "第三条与我局职责不符"}]
    draft = gov.task(iid, "draft")  # any objection: back to the drafter, opinions in hand
    assert gov.who_may(draft) == {"szfb_clerk", "admin"}
    gov.complete(iid, "draft", "szfb_clerk", {**DRAFT, "countersign_depts": ["zjj"]})
    gov.complete(iid, "dept_review", "szfb_head", {"review_ok": True})
    gov.complete(iid, "countersign", "zjj_leader", {"agree": True})
    assert gov.data(iid)["countersign_passed"] is True
    assert gov.who_may(gov.task(iid, "office_check")) == {"szfb_checker", "admin"}
    gov.complete(iid, "office_check", "szfb_checker", {"check_ok": True})
    sign_off = gov.task(iid, "sign_off")
    assert sign_off.assignee == "mayor_wang"
    with pytest.raises(Forbidden):  # the vice mayor may not, until authorised
        gov.complete(iid, "sign_off", "vmayor_li", {"sign_ok": True}, opinion="同意印发")
    deputies.grant(gov.session, "admin", gov.now, "mayor_wang", "vmayor_li", gov.now - timedelta(hours=1),
                   gov.now + timedelta(days=3), "市长出访期间")
    gov.complete(iid, "sign_off", "vmayor_li", {"sign_ok": True}, opinion="同意印发")
    signed = [e for e in audit.trail(gov.session, iid) if e.action == "complete" and e.element_id == "sign_off"]
    assert signed[0].actor == "vmayor_li" and (signed[0].detail or {}).get("on_behalf_of") == "mayor_wang"
    data = gov.data(iid)
    assert data["doc_number"] == "某府发〔2026〕1号" and data["doc_serial"] == 1
    gov.complete(iid, "print", "szfb_clerk", {"copies": 30})
    sent = gov.data(iid)["distributed"]
    assert [(s["unit"], s["kind"]) for s in sent] == [("fgw", "main"), ("zjj", "main"), ("xfj", "cc")]
    gov.complete(iid, "archive", "szfb_clerk", {"retention": "永久"})
    assert gov.status(iid) == "completed"
    incoming = instances.get(gov.session, sent[0]["instance_id"])
    assert incoming.process_id == "document_incoming" and incoming.title.startswith("某府发〔2026〕1号")
    assert gov.who_may(gov.task(incoming.id, "sign_in")) == {"fgw_clerk", "admin"}
    assert gov.data(incoming.id)["doc_number"] == "某府发〔2026〕1号"


def test_send_back_from_office_check_and_sign_off_keep_one_number(gov: Gov) -> None:
    gov.deploy("document_outgoing.bpmn", "document_incoming.bpmn")
    iid = start_outgoing(gov)
    gov.complete(iid, "dept_review", "szfb_head", {"review_ok": False}, opinion="请补充工作要求")
    gov.complete(iid, "draft", "szfb_clerk", DRAFT)
    gov.complete(iid, "dept_review", "szfb_head", {"review_ok": True})
    assert not [t for t in gov.open_tasks(iid) if t.element_id == "countersign"]  # nobody to countersign
    gov.complete(iid, "office_check", "szfb_checker", {"check_ok": False}, opinion="格式不规范")
    gov.complete(iid, "draft", "szfb_clerk", DRAFT)
    gov.complete(iid, "dept_review", "szfb_head", {"review_ok": True})
    gov.complete(iid, "office_check", "szfb_checker", {"check_ok": True})
    gov.complete(iid, "sign_off", "mayor_wang", {"sign_ok": True}, opinion="同意")
    other = start_outgoing(gov)
    gov.complete(other, "dept_review", "szfb_head", {"review_ok": True})
    gov.complete(other, "office_check", "szfb_checker", {"check_ok": True})
    gov.complete(other, "sign_off", "mayor_wang", {"sign_ok": True}, opinion="同意")
    register = documents.register_of(gov.session, "某府发", 2026)
    assert [(r.serial, r.instance_id) for r in register] == [(1, iid), (2, other)]


def test_incoming_handled_by_two_departments_read_by_leaders_and_filed(gov: Gov) -> None:
    gov.deploy("document_incoming.bpmn")
    data = {"title": "关于开展安全生产大检查的通知", "doc_number": "某省府发〔2026〕8号", "unit": "szfb",
            "kind": "main", "from_unit": "省政府办公厅", "urgency": "特急"}
    iid = gov.start("document_incoming", data)
    gov.complete(iid, "sign_in", "szfb_clerk", {})
    gov.complete(iid, "register", "szfb_clerk", {"received_no": "收〔2026〕101", "summary": "部署冬季安全大检查"})
    assert gov.who_may(gov.task(iid, "propose")) == {"szfb_head", "admin"}
    gov.complete(iid, "propose", "szfb_head", {"proposal": "handle"}, opinion="拟请住建局、市场监管局办理")
    assert gov.who_may(gov.task(iid, "instruct")) == {"szfb_leader", "admin"}
    gov.complete(iid, "instruct", "szfb_leader", {"handle_depts": ["zjj", "scjg"], "handle_due": "2026-11-20",
                                                 "readers": ["vmayor_li", "vmayor_zhao"]}, opinion="请按时办结")
    handles = [t for t in gov.open_tasks(iid) if t.element_id == "handle"]
    assert len(handles) == 2
    duban = [c for c in gov.clocks(iid) if c.element_id == "handle"]
    assert {c.policy_code for c in duban} == {"duban"} and {c.department_code for c in duban} == {"zjj", "scjg"}
    assert {last_day(c) for c in duban} == {date(2026, 11, 20)}
    for t in handles:
        clerk = sorted(gov.who_may(t) - {"admin"})[0]
        gov.complete(iid, "handle", clerk, {"result": f"{clerk} 已完成检查"}, task_id=t.id)
    reads = [t for t in gov.open_tasks(iid) if t.element_id == "circulate"]
    assert sorted(t.assignee or "" for t in reads) == ["vmayor_li", "vmayor_zhao"]
    for t in reads:
        gov.complete(iid, "circulate", t.assignee or "", {}, opinion="已阅", task_id=t.id)
    assert len(gov.data(iid)["readings"]) == 2
    gov.complete(iid, "conclude", "szfb_clerk", {"conclusion": "两部门均已办结"})
    gov.complete(iid, "archive", "szfb_clerk", {"retention": "30年"})
    assert gov.status(iid) == "completed"
    filed = gov.start("document_incoming", {**data, "kind": "cc", "title": "抄送件"})
    gov.complete(filed, "sign_in", "szfb_clerk", {})
    gov.complete(filed, "register", "szfb_clerk", {"received_no": "收〔2026〕102"})
    gov.complete(filed, "propose", "szfb_head", {"proposal": "file"}, opinion="阅存")
    assert [t.element_id for t in gov.open_tasks(filed)] == ["archive"]


def test_concurrent_sign_offs_get_distinct_gapless_numbers(fresh_engine: Any) -> None:
    engine: Engine = fresh_engine()
    count = 6
    with Session(engine) as setup:
        seed_policies(setup)
        workdays.seed_official(setup, NOW)
        demo_org.seed_org(setup)
        definitions.deploy(setup, "admin", NOW, [(name, (PROCESSES / name).read_bytes()) for name in
                                                 ("document_outgoing.bpmn", "document_incoming.bpmn")])
        ids = []
        for i in range(count):
            iid = instances.start(setup, "szfb_clerk", NOW, "document_outgoing", {}).id
            for element, actor, data in (("draft", "szfb_clerk", {**DRAFT, "main_to": [], "cc_to": [],
                                                                  "title": f"通知{i}"}),
                                         ("dept_review", "szfb_head", {"review_ok": True}),
                                         ("office_check", "szfb_checker", {"check_ok": True})):
                [row] = [t for t in tasks.open_for_instance(setup, iid) if t.element_id == element]
                tasks.complete(setup, actor, NOW, row.id, data)
            ids.append(iid)
        setup.commit()
        sign_offs = [next(t.id for t in tasks.open_for_instance(setup, iid)) for iid in ids]
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def sign(task_id: str) -> None:
        try:
            with Session(engine) as mine:
                barrier.wait()
                tasks.complete(mine, "mayor_wang", NOW, task_id, {"sign_ok": True}, "同意")
                mine.commit()
        except BaseException as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)

    threads = [threading.Thread(target=sign, args=(t,)) for t in sign_offs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with Session(engine) as check:
        rows = check.scalars(select(DocumentNumber).order_by(DocumentNumber.serial)).all()
        assert [r.serial for r in rows] == list(range(1, count + 1))
        assert sorted(r.instance_id for r in rows) == sorted(ids)
        assert check.scalar(select(AuditEvent.id).where(AuditEvent.action == "document_number")) is not None
    engine.dispose()


def test_a_removed_countersigner_is_neither_approval_nor_objection(gov: Gov) -> None:
    gov.deploy("document_outgoing.bpmn", "document_incoming.bpmn")
    iid = start_outgoing(gov, ["fgw", "zjj"])
    gov.complete(iid, "dept_review", "szfb_head", {"review_ok": True}, opinion="同意")
    parts = {t.properties["item"]: t for t in gov.open_tasks(iid) if t.element_id == "countersign"}
    task_actions.remove_signer(gov.session, "szfb_clerk", gov.now, parts["zjj"].id, "不涉及住建局职责")
    gov.complete(iid, "countersign", "fgw_leader", {"agree": True}, task_id=parts["fgw"].id)
    data = gov.data(iid)
    assert data["countersign_passed"] is True and data["countersign_result"] == "1/1"
    assert data["countersign_objections"] == []
    assert gov.task(iid, "office_check")  # on to the office, not back to the drafter
