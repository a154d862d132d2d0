"""延期申请 from the task page reaches the person entitled to decide it: the department's leader sees it
under 延期审批, and approving moves the due date; a limit the law allows no extension of is refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.clocks.models import Clock
from engine.flow import definitions, tasks
from engine.gov import licensing
from tests.conftest import NOW
from webapp.extensions import db

PROCESSES = Path(__file__).resolve().parents[3] / "processes"


def _in_review(app: Flask) -> tuple[int, str, int]:
    """A licence under the departments' review: (instance, the 市场监管局's review task (its head's), its clock)."""
    with app.app_context():
        session = db.session()
        definitions.deploy(session, "admin", NOW, [("licence_joint.bpmn", (PROCESSES / "licence_joint.bpmn").read_bytes())])
        application = licensing.submit(session, NOW, actor="zwfw_clerk", matter_code="catering", applicant="某某餐饮",
                                       id_number="91110000MA01ABCD3X", phone="13900139000")
        iid = application.instance_id or 0
        [accept] = tasks.open_for_instance(session, iid)
        tasks.complete(session, "window_clerk", NOW, accept.id, {"acceptance": "accept"})
        [review] = [t for t in tasks.open_for_instance(session, iid) if t.properties.get("item") == "scjg"]
        clock = session.scalar(select(Clock.id).where(Clock.task_id == review.id))
        session.commit()
        return iid, review.id, int(clock)


def _due(app: Flask, clock_id: int) -> Any:
    with app.app_context():
        return db.session().get(Clock, clock_id).due_at


def test_a_request_reaches_the_leader_who_approves_it_and_the_due_date_moves(app: Flask, as_user: Any) -> None:
    iid, review, clock_id = _in_review(app)
    before = _due(app, clock_id)
    clerk = as_user("scjg_head")
    asked = clerk.post(f"/inbox/tasks/{review}/extension", data={"days": "3", "reason": "需现场核实经营场所"},
                       follow_redirects=True)
    assert "延期申请已提交" in asked.text
    leader = as_user("scjg_leader")
    inbox = leader.get("/inbox/").text
    assert re.search(r'data-tab="extensions">延期审批 <span class="count">1</span>', inbox)
    page = leader.get("/inbox/extensions").text
    assert "需现场核实经营场所" in page and "申请延长" in page
    request_id = re.search(r'data-request="(\d+)"', page).group(1)  # type: ignore[union-attr]
    refused = leader.post(f"/inbox/extensions/{request_id}/decide", data={"decision": "refuse", "note": ""},
                          follow_redirects=True)
    assert "不予批准须写明理由" in refused.text and _due(app, clock_id) == before
    approved = leader.post(f"/inbox/extensions/{request_id}/decide", data={"decision": "approve"}, follow_redirects=True)
    assert "已审批延期申请" in approved.text and "没有待审批的延期申请" in approved.text
    assert (_due(app, clock_id) - before).days >= 3  # three working days later
    assert as_user("fgw_leader").get("/inbox/extensions").text.count("data-request=") == 0  # not theirs
    case = leader.get(f"/instances/{iid}").text
    assert "+3 需现场核实经营场所" in case


def test_a_limit_allowing_no_extension_is_refused_when_asked(app: Flask, as_user: Any) -> None:
    with app.app_context():
        session = db.session()
        definitions.deploy(session, "admin", NOW, [("licence_joint.bpmn", (PROCESSES / "licence_joint.bpmn").read_bytes())])
        application = licensing.submit(session, NOW, actor="zwfw_clerk", matter_code="catering", applicant="某某餐饮",
                                       id_number="91110000MA01ABCD3X", phone="13900139000")
        [accept] = tasks.open_for_instance(session, application.instance_id or 0)
        accept_id = accept.id
        session.commit()
    asked = as_user("window_clerk").post(f"/inbox/tasks/{accept_id}/extension", data={"days": "2", "reason": "材料多"},
                                         follow_redirects=True)
    assert "「补正告知」的时限依规定不能延期" in asked.text
