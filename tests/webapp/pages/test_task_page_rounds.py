"""The task page across rounds: a draft sent back is resubmitted with a changed body, a second review
starts empty, and an authorised deputy works the absent person's step from the page."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from engine.core import audit
from engine.flow import definitions, instances, tasks
from engine.gov import licensing
from engine.org import deputies
from tests.conftest import NOW
from webapp.extensions import db

PROCESSES = Path(__file__).resolve().parents[3] / "processes"
PDF = b"%PDF-1.4\n"
DRAFT = {"title": "关于冬季安全生产的通知", "doc_type": "通知", "doc_word": "某府发", "main_to": "fgw",
         "secrecy": "公开", "urgency": "加急", "signer": "mayor_wang"}


def _deploy(app: Flask, *names: str) -> None:
    with app.app_context():
        session = db.session()
        definitions.deploy(session, "admin", NOW, [(n, (PROCESSES / n).read_bytes()) for n in names])
        session.commit()


def _open(app: Flask, instance_id: int, element_id: str) -> str:
    with app.app_context():
        [row] = [t for t in tasks.open_for_instance(db.session(), instance_id) if t.element_id == element_id]
        return row.id


def _start_outgoing(app: Flask) -> int:
    with app.app_context():
        session = db.session()
        iid = instances.start(session, "szfb_clerk", NOW, "document_outgoing").id
        session.commit()
        return iid


def _data(app: Flask, instance_id: int) -> dict[str, Any]:
    with app.app_context():
        session = db.session()
        return instances.current_data(session, instances.get(session, instance_id), NOW)


def test_a_draft_sent_back_is_resubmitted_with_a_changed_body(app: Flask, as_user: Any) -> None:
    _deploy(app, "document_outgoing.bpmn", "document_incoming.bpmn")
    clerk, head = as_user("szfb_clerk"), as_user("szfb_head")
    iid = _start_outgoing(app)
    draft = _open(app, iid, "draft")
    first = clerk.post(f"/inbox/tasks/{draft}/complete", content_type="multipart/form-data",
                       data={**DRAFT, "body": (io.BytesIO(PDF + "第一稿".encode()), "正文.pdf")})
    assert first.status_code == 302, first.text
    [old] = _data(app, iid)["body"]
    review = _open(app, iid, "dept_review")
    sent = head.post(f"/inbox/tasks/{review}/send-back", data={"target": draft, "reason": "正文第三段需修改"})
    assert sent.status_code == 302
    page = clerk.get(f"/inbox/tasks/{draft}")
    assert f'name="body_keep" value="{old}" checked' in page.text  # the earlier body is offered to keep
    assert re.search(r'<label class="kept">[^<]*<input[^>]*> 保留 正文.pdf</label>', page.text)  # by its name
    assert 'value="关于冬季安全生产的通知"' in page.text  # and the draft's own text comes back
    # The drafter drops the first body and attaches the corrected one.
    again = clerk.post(f"/inbox/tasks/{draft}/complete", content_type="multipart/form-data",
                       data={**DRAFT, "title": "关于冬季安全生产工作的通知",
                             "body": (io.BytesIO(PDF + "第二稿".encode()), "正文（修改稿）.pdf")})
    assert again.status_code == 302, again.text
    data = _data(app, iid)
    assert data["title"] == "关于冬季安全生产工作的通知" and len(data["body"]) == 1 and data["body"] != [old]
    assert _open(app, iid, "dept_review")


def test_keeping_the_earlier_body_and_adding_one_both_stay(app: Flask, as_user: Any) -> None:
    _deploy(app, "document_outgoing.bpmn", "document_incoming.bpmn")
    clerk, head = as_user("szfb_clerk"), as_user("szfb_head")
    iid = _start_outgoing(app)
    draft = _open(app, iid, "draft")
    clerk.post(f"/inbox/tasks/{draft}/complete", content_type="multipart/form-data",
               data={**DRAFT, "body": (io.BytesIO(PDF + b"v1"), "a.pdf")})
    [old] = _data(app, iid)["body"]
    head.post(f"/inbox/tasks/{_open(app, iid, 'dept_review')}/send-back", data={"target": draft, "reason": "补附件"})
    again = clerk.post(f"/inbox/tasks/{draft}/complete", content_type="multipart/form-data",
                       data={**DRAFT, "body_keep": str(old), "body": (io.BytesIO(PDF + b"v2"), "b.pdf")})
    assert again.status_code == 302, again.text
    assert _data(app, iid)["body"][0] == old and len(_data(app, iid)["body"]) == 2


def test_a_field_the_form_does_not_know_is_named_above_the_form(app: Flask, as_user: Any) -> None:
    _deploy(app, "document_outgoing.bpmn", "document_incoming.bpmn")
    clerk = as_user("szfb_clerk")
    draft = _open(app, _start_outgoing(app), "draft")
    refused = clerk.post(f"/inbox/tasks/{draft}/complete", data={**DRAFT, "stray": "x"})
    assert refused.status_code == 400
    assert "表单中没有「stray」这一项" in refused.text  # said, not swallowed


def test_the_second_acceptance_review_starts_with_no_decision_chosen(app: Flask, as_user: Any) -> None:
    _deploy(app, "licence_joint.bpmn")
    with app.app_context():
        session = db.session()
        application = licensing.submit(session, NOW, actor="zwfw_clerk", matter_code="catering",
                                       applicant="某某餐饮管理有限公司", id_number="91110000MA01ABCD3X",
                                       phone="13900139000")
        iid = application.instance_id
        session.commit()
    window = as_user("window_clerk")
    accept = _open(app, iid, "accept")
    done = window.post(f"/inbox/tasks/{accept}/complete",
                       data={"acceptance": "supplement", "missing": "缺经营场所平面图", "opinion": "请补正"})
    assert done.status_code == 302, done.text
    supplement = _open(app, iid, "supplement")
    window.post(f"/inbox/tasks/{supplement}/complete", data={"supplement_note": "已补交平面图"})
    second = window.get(f"/inbox/tasks/{_open(app, iid, 'accept')}")
    radios = re.findall(r'<input type="radio" name="acceptance"[^>]*>', second.text)
    assert radios and not any("checked" in r for r in radios), radios
    opinion = re.search(r'<textarea id="f-opinion"[^>]*>(.*?)</textarea>', second.text, re.S)
    assert opinion is not None and opinion.group(1).strip() == ""


def test_a_deputy_completes_the_absent_persons_step_and_the_trail_says_so(app: Flask, as_user: Any) -> None:
    _deploy(app, "document_outgoing.bpmn", "document_incoming.bpmn")
    with app.app_context():
        session = db.session()
        iid = instances.start(session, "szfb_clerk", NOW, "document_outgoing").id
        draft = [t for t in tasks.open_for_instance(session, iid) if t.element_id == "draft"][0]
        tasks.complete(session, "szfb_clerk", NOW, draft.id, {**DRAFT, "main_to": ["fgw"]})
        review = [t for t in tasks.open_for_instance(session, iid) if t.element_id == "dept_review"][0]
        deputies.grant(session, "admin", NOW, "szfb_head", "szfb_checker", NOW - timedelta(hours=1),
                       NOW + timedelta(days=2), "出差")
        session.commit()
        review_id = review.id
    deputy = as_user("szfb_checker")
    page = deputy.get(f"/inbox/tasks/{review_id}")
    assert page.status_code == 200 and 'action="/inbox/tasks/' + review_id + '/complete"' in page.text
    assert "代" in page.text and "不能办理" not in page.text
    inbox = deputy.get("/inbox/")
    assert review_id in inbox.text  # the absent person's step waits in the deputy's 待办
    done = deputy.post(f"/inbox/tasks/{review_id}/complete", data={"review_ok": "true", "opinion": "同意"})
    assert done.status_code == 302, done.text
    with app.app_context():
        [event] = [e for e in audit.trail(db.session(), iid) if e.action == "complete" and e.task_id == review_id]
        assert event.actor == "szfb_checker" and event.detail["on_behalf_of"] == "szfb_head"
    shown = deputy.get(f"/instances/{iid}")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", shown.text))
    assert "由 郑核稿 (市政府办公室) 代 吴科长 (政府办公室) 办理 · 部门负责人审核" in text, "the trail names both, by name"
