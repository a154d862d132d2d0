"""Text is normalised at the edge, once for every form: NUL refused with the field named (no 500 on
PostgreSQL), bidi overrides and zero-width characters removed from names, titles and letters, uploaded
files kept byte for byte."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import select

from engine.calendar import workdays
from engine.clocks.policies import seed_policies
from engine.core.clock import FixedClock
from engine.gov.models import Letter
from engine.org import demo as demo_org
from engine.org import directory as org
from engine.org.models import Notification, User
from tests.conftest import NOW
from webapp import create_app
from webapp.extensions import db

RLO, ZWSP, LRI, PDI, BOM = "\u202e", "\u200b", "\u2066", "\u2069", "\ufeff"


@pytest.fixture
def app(databases: Any) -> Flask:
    engine = databases.engine()
    app = create_app({"SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False),
                      "TESTING": True, "WTF_CSRF_ENABLED": False, "GOVFLOW_CLOCK": FixedClock(NOW)})
    with app.app_context():
        s = db.session()
        seed_policies(s)
        workdays.seed_official(s, NOW)
        demo_org.seed_org(s)
        org.create_user(s, "root", groups=["admin"])
        s.commit()
    return app


def _admin(app: Flask) -> Any:
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["username"] = "root"
    return client


def test_a_nul_character_is_refused_naming_the_field(app: Flask) -> None:
    answer = app.test_client().post("/portal/mailbox/code", data={"phone": "13800138000", "title": "a\x00b"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "「title」含有空字符" in text and "NUL" in text
    assert app.test_client().get("/portal/mailbox/replies?page=1\x00").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Notification.id)) is None  # nothing was sent or stored


def test_bidi_and_zero_width_characters_are_removed_from_names(app: Flask) -> None:
    name = f"张{ZWSP}三{RLO}exe.fdp{PDI}"
    answer = _admin(app).post("/admin/users", data={"username": "zhangsan", "display_name": name,
                                                     "groups": "clerk", "department": "", "email": ""})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "zhangsan"))
        assert user is not None and user.display_name == "张三exe.fdp"


def test_a_letter_is_stored_without_invisible_characters(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/portal/mailbox/code", data={"phone": "13800138000"}).status_code == 200
    with app.app_context():
        body = db.session.scalar(select(Notification.body).where(Notification.channel == "sms"))
    code = "".join(ch for ch in body if ch.isdigit())[:6]
    form = {"phone": "13800138000", "code": code, "category": "consult", "writer_name": f"李{BOM}四",
            "title": f"{LRI}路灯{RLO}不亮{PDI}", "content": f"请{ZWSP}尽快维修"}
    answer = client.post("/portal/mailbox/write", data=form)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    with app.app_context():
        letter = db.session.scalar(select(Letter))
        assert (letter.writer_name, letter.title, letter.content) == ("李四", "路灯不亮", "请尽快维修")


def test_uploaded_files_are_kept_byte_for_byte_and_only_their_names_cleaned(app: Flask) -> None:
    seen: dict[str, Any] = {}

    @app.post("/__upload")
    def upload() -> str:
        stored = request.files["file"]
        seen.update(name=stored.filename, content=stored.read(), note=request.form["note"])
        return "ok"

    content = b"%PDF-1.4\n" + RLO.encode() + ZWSP.encode() + b"\x00 binary\n%%EOF\n"
    data = {"note": f"附{ZWSP}件", "file": (io.BytesIO(content), f"申请书{RLO}fdp.pdf")}
    assert app.test_client().post("/__upload", data=data, content_type="multipart/form-data").text == "ok"
    assert seen == {"name": "申请书fdp.pdf", "content": content, "note": "附件"}
