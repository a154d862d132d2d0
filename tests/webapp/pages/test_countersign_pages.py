"""加签 and 减签 from the pages: the picker offers only departments that could still sign, anything else is
refused with a message and makes no branch, and the starter removes a signer from the case page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask

from engine.flow import definitions, instances, tasks
from tests.conftest import NOW
from webapp.extensions import db

PROCESSES = Path(__file__).resolve().parents[3] / "processes"
DRAFT = {"title": "关于冬季安全生产的通知", "doc_type": "通知", "doc_word": "某府发", "main_to": ["fgw"],
         "secrecy": "公开", "urgency": "加急", "signer": "mayor_wang", "countersign_depts": ["fgw", "zjj"]}


def _at_countersign(app: Flask) -> tuple[int, dict[str, str]]:
    with app.app_context():
        session = db.session()
        definitions.deploy(session, "admin", NOW, [(n, (PROCESSES / n).read_bytes())
                                                   for n in ("document_outgoing.bpmn", "document_incoming.bpmn")])
        iid = instances.start(session, "szfb_clerk", NOW, "document_outgoing").id
        [draft] = tasks.open_for_instance(session, iid)
        tasks.complete(session, "szfb_clerk", NOW, draft.id, DRAFT)
        [review] = tasks.open_for_instance(session, iid)
        tasks.complete(session, "szfb_head", NOW, review.id, {"review_ok": True})
        session.commit()
        return iid, _parts(app, iid)


def _parts(app: Flask, iid: int) -> dict[str, str]:
    with app.app_context():
        return {t.properties["item"]: t.id for t in tasks.open_for_instance(db.session(), iid)
                if t.element_id == "countersign"}


def test_the_add_signer_picker_offers_only_departments_that_could_still_sign(app: Flask, as_user: Any) -> None:
    iid, parts = _at_countersign(app)
    leader = as_user("fgw_leader")
    page = leader.get(f"/inbox/tasks/{parts['fgw']}").text
    picker = re.search(r'<select name="item"[^>]*>(.*?)</select>', page, re.S)
    assert picker, "加签 is a picker, not free text"
    offered = re.findall(r'<option value="([^"]+)">([^<]+)</option>', picker.group(1))
    assert ("scjg", "市市场监督管理局") in offered and not {"fgw", "zjj"} & {v for v, _ in offered}
    refused = leader.post(f"/inbox/tasks/{parts['fgw']}/add-signer", data={"item": "财政局", "reason": "涉及资金"},
                          follow_redirects=True)
    assert "「财政局」不是本机关的部门" in refused.text and set(_parts(app, iid)) == {"fgw", "zjj"}
    added = leader.post(f"/inbox/tasks/{parts['fgw']}/add-signer", data={"item": "scjg", "reason": "涉及食品安全"},
                        follow_redirects=True)
    assert "已加签" in added.text and set(_parts(app, iid)) == {"fgw", "zjj", "scjg"}


def test_the_starter_removes_a_signer_from_the_case_page(app: Flask, as_user: Any) -> None:
    iid, parts = _at_countersign(app)
    starter = as_user("szfb_clerk")
    case = starter.get(f"/instances/{iid}").text
    assert case.count('class="inline remove-signer"') == 2  # a 减签 for each signer who has not signed
    assert as_user("fgw_leader").get(f"/instances/{iid}").text.count("remove-signer") == 0
    done = starter.post(f"/inbox/tasks/{parts['zjj']}/remove-signer", data={"reason": "不涉及住建局"},
                        follow_redirects=True)
    assert "已减签" in done.text and set(_parts(app, iid)) == {"fgw"}
    as_user("fgw_leader").post(f"/inbox/tasks/{parts['fgw']}/complete", data={"agree": "true"})
    with app.app_context():
        session = db.session()
        data = instances.current_data(session, instances.get(session, iid), NOW)
    assert data["countersign_passed"] is True and data["countersign_objections"] == []
