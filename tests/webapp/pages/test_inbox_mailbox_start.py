"""The mailbox folders in the inbox and the page where a clerk starts a new case."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine import mailbox
from engine.models import Instance
from tests.conftest import NOW
from webapp import demo
from webapp.extensions import db


def _seed_demo(app: Flask) -> None:
    with app.app_context():
        demo.seed(db.session(), NOW)
        db.session.commit()


def _count(page: str, folder: str) -> int:
    found = re.search(rf'data-folder="{folder}">.*?<span class="count">(\d+)</span>', page, re.S)
    assert found, folder
    return int(found.group(1))


def test_mailbox_staff_see_every_folder_with_counts(app: Flask, as_user: Any) -> None:
    _seed_demo(app)
    clerk = as_user("mailbox_clerk")
    page = clerk.get("/inbox/mailbox").text
    for folder in ("todo", "handling", "new", "rejected", "done", "recycle", "copies", "all"):
        assert f'data-folder="{folder}"' in page
    assert _count(page, "todo") == 2  # the two letters waiting to be signed for and screened
    assert _count(page, "recycle") == 1 and _count(page, "rejected") == 1 and _count(page, "done") == 1
    assert _count(page, "all") == 7
    recycle = clerk.get("/inbox/mailbox?folder=recycle").text
    assert "低息贷款" in recycle and "学校周边交通拥堵" not in recycle
    found = clerk.get("/inbox/mailbox?folder=all&q=公交").text
    assert "建议增设公交线路" in found and "低息贷款" not in found
    with app.app_context():
        code = mailbox.published(db.session())[0].code
    assert code in clerk.get(f"/inbox/mailbox?folder=all&q={code}").text
    assert clerk.get("/inbox/mailbox?folder=nonsense").status_code == 404


def test_a_department_clerk_sees_only_their_letters(app: Flask, as_user: Any) -> None:
    _seed_demo(app)
    page = as_user("zjj_clerk").get("/inbox/mailbox").text
    assert 'data-folder="all"' not in page and 'data-folder="recycle"' not in page
    assert "建议增设公交线路" in page  # handed to 住建局 by the vice mayor
    assert as_user("zjj_clerk").get("/inbox/mailbox?folder=all").status_code == 404


def test_start_a_case_and_land_on_its_first_step(app: Flask, as_user: Any) -> None:
    _seed_demo(app)
    clerk = as_user("szfb_clerk")
    page = clerk.get("/inbox/start").text
    assert 'data-process="document_outgoing"' in page and 'data-process="leave_request"' in page
    assert 'data-process="mayor_mailbox"' not in page and 'data-process="document_incoming"' not in page
    missing = clerk.post("/inbox/start", data={"process_id": "document_outgoing", "title": " "})
    assert missing.status_code == 400 and "请填写标题" in missing.text
    assert clerk.post("/inbox/start", data={"process_id": "mayor_mailbox", "title": "x"}).status_code == 403
    assert clerk.post("/inbox/start", data={"process_id": "no_such", "title": "x"}).status_code == 404
    started = clerk.post("/inbox/start", data={"process_id": "document_outgoing", "title": "关于某事的通知"})
    assert started.status_code == 302 and "/inbox/tasks/" in started.headers["Location"]
    draft = clerk.get(started.headers["Location"]).text
    assert 'name="doc_type"' in draft and "关于某事的通知" in draft
    with app.app_context():
        inst = db.session().scalars(select(Instance).where(Instance.title == "关于某事的通知")).one()
        assert (inst.process_id, inst.started_by) == ("document_outgoing", "szfb_clerk")
