"""Optional multi-picks left empty on a web form: the case goes on, and a resubmission clears them."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.flow import definitions, instances, tasks
from engine.flow.models import HumanTask
from tests.conftest import NOW
from tests.webapp.pages.conftest import ROOT
from webapp.extensions import db


def _deploy(app: Flask, *names: str) -> None:
    with app.app_context():
        s = db.session()
        definitions.deploy(s, "admin", NOW, [(n, (ROOT / "processes" / n).read_bytes()) for n in names])
        s.commit()


def _open(app: Flask, iid: int) -> dict[str, str]:
    with app.app_context():
        rows = db.session().scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                            HumanTask.status == "open"))
        return {r.element_id: r.id for r in rows}


def _submit(as_user: Any, who: str, task_id: str, form: dict[str, Any]) -> None:
    page = as_user(who).post(f"/inbox/tasks/{task_id}/complete", data=form, follow_redirects=True)
    assert page.status_code == 200 and 'class="flash error"' not in page.text, page.text[-2000:]


def test_a_leader_who_names_no_readers_sends_the_document_straight_to_handling(app: Flask, as_user: Any) -> None:
    _deploy(app, "document_incoming.bpmn")
    with app.app_context():
        s = db.session()
        iid = instances.start(s, None, NOW, "document_incoming", {"title": "关于冬季供暖的通知", "unit": "szfb",
                                                                   "kind": "main", "urgency": "平件"}).id
        s.commit()
    for element, who, data in [("sign_in", "szfb_clerk", {}), ("register", "szfb_clerk", {}),
                               ("propose", "szfb_head", {"proposal": "handle"})]:
        task_id = _open(app, iid)[element]
        with app.app_context():
            tasks.complete(db.session(), who, NOW, task_id, data)
            db.session().commit()
    _submit(as_user, "szfb_leader", _open(app, iid)["instruct"],
            {"handle_depts": "zjj", "handle_due": "2026-11-20", "opinion": "请住建局办理"})
    assert list(_open(app, iid)) == ["handle"]
    _submit(as_user, "zjj_clerk", _open(app, iid)["handle"], {"result": "已落实"})
    assert list(_open(app, iid)) == ["conclude"], "nobody was named to read it: no 传阅 step"


DRAFT = {"title": "关于做好冬季供暖保障工作的通知", "doc_type": "通知", "doc_word": "某府发", "main_to": "fgw",
         "secrecy": "公开", "urgency": "一般", "signer": "mayor_wang"}


def test_a_draft_without_countersign_and_a_redraft_that_drops_it(app: Flask, as_user: Any) -> None:
    _deploy(app, "document_outgoing.bpmn", "document_incoming.bpmn")
    with app.app_context():
        s = db.session()
        plain = instances.start(s, "szfb_clerk", NOW, "document_outgoing", {}).id
        joint = instances.start(s, "szfb_clerk", NOW, "document_outgoing", {}).id
        s.commit()
    _submit(as_user, "szfb_clerk", _open(app, plain)["draft"], DRAFT)
    _submit(as_user, "szfb_head", _open(app, plain)["dept_review"], {"review_ok": "True"})
    assert list(_open(app, plain)) == ["office_check"], "no countersigning departments: no 会签"

    _submit(as_user, "szfb_clerk", _open(app, joint)["draft"], {**DRAFT, "countersign_depts": "zjj"})
    _submit(as_user, "szfb_head", _open(app, joint)["dept_review"], {"review_ok": "True"})
    _submit(as_user, "zjj_leader", _open(app, joint)["countersign"], {"agree": "False", "opinion": "不宜联合发文"})
    _submit(as_user, "szfb_clerk", _open(app, joint)["draft"], DRAFT)  # the drafter drops 住建局
    _submit(as_user, "szfb_head", _open(app, joint)["dept_review"], {"review_ok": "True"})
    assert list(_open(app, joint)) == ["office_check"], "the redraft's empty pick replaced the earlier one"
