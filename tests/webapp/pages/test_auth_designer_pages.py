"""Login, CSRF, language, the designer's upload-check-deploy-run loop and the instance page."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import Flask

from engine.org import directory as org
from webapp import create_app
from webapp.extensions import db

ROOT = Path(__file__).resolve().parents[3]
LEAVE = (ROOT / "processes" / "leave_request.bpmn").read_bytes()


def _with_password(app: Flask, name: str = "zhang", password: str = "s3cret-pass") -> None:
    with app.app_context():
        org.get_user(db.session(), name).password_hash = org.hash_password(password)
        db.session.commit()


def test_login_logout_and_safe_redirects(app: Flask) -> None:
    _with_password(app)
    client = app.test_client()
    assert client.get("/inbox/").status_code == 302
    bad = client.post("/login", data={"username": "zhang", "password": "wrong"})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.get_data(as_text=True)
    evil = client.post("/login", data={"username": "zhang", "password": "s3cret-pass", "next": "//evil.example/x"})
    assert evil.status_code == 302 and evil.headers["Location"].endswith("/inbox/")
    assert client.get("/inbox/").status_code == 200
    assert client.get("/logout").status_code == 405  # logging out needs a POST
    client.post("/logout")
    assert client.get("/inbox/").status_code == 302


def test_wrong_passwords_are_throttled(app: Flask) -> None:
    _with_password(app)
    client = app.test_client()
    for _ in range(5):
        client.post("/login", data={"username": "zhang", "password": "nope"})
    locked = client.post("/login", data={"username": "zhang", "password": "s3cret-pass"})
    assert locked.status_code == 429


def test_forms_without_a_csrf_token_are_refused(databases: Any) -> None:
    engine = databases.engine()
    app = create_app({"SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False),
                      "TESTING": True, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    refused = client.post("/login", data={"username": "x", "password": "y"})
    assert refused.status_code == 400 and "安全令牌" in refused.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    accepted = client.post("/login", data={"username": "x", "password": "y", "csrf_token": token.group(1)})
    assert accepted.status_code == 401


def test_english_on_a_switch(app: Flask, as_user: Any) -> None:
    client = as_user("zhang")
    assert "English" in client.get("/inbox/").get_data(as_text=True)
    client.get("/lang/en?next=/inbox/")
    page = client.get("/inbox/").get_data(as_text=True)
    assert 'lang="en"' in page and "中文" in page
    assert "To do" in page and "Sign out" in page and "待办" not in page
    client.get("/lang/zh?next=/inbox/")
    assert "待办" in client.get("/inbox/").get_data(as_text=True)


def test_only_designers_reach_the_designer(app: Flask, as_user: Any) -> None:
    assert as_user("zhang").get("/designer/").status_code == 403
    assert as_user("designer").get("/designer/").status_code == 200


def test_designer_checks_deploys_and_starts_a_camunda_file(app: Flask, as_user: Any) -> None:
    client = as_user("designer")
    broken = LEAVE.replace(b'targetRef="record"', b'targetRef="nowhere"')
    checked = client.post("/designer/check", data={"files": (BytesIO(broken), "leave.bpmn")},
                          content_type="multipart/form-data")
    text = checked.get_data(as_text=True)
    assert checked.status_code == 400 and "nowhere" in text and "f_approved" in text
    preview = client.post("/designer/check", data={"files": (BytesIO(LEAVE.replace(b'leave_request', b'leave_v2')),
                                                             "leave.bpmn")}, content_type="multipart/form-data")
    assert preview.status_code == 200 and "<svg" in preview.get_data(as_text=True)
    hostile = client.post("/designer/deploy", data={"files": (BytesIO(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'), "x.bpmn")},
        content_type="multipart/form-data")
    assert hostile.status_code == 400 and "root:" not in hostile.get_data(as_text=True)
    deployed = client.post("/designer/deploy", data={"files": (BytesIO(LEAVE.replace(b'leave_request', b'leave_v2')),
                                                               "leave.bpmn")}, content_type="multipart/form-data")
    assert deployed.status_code == 302
    assert "leave_v2" in client.get("/designer/").get_data(as_text=True)
    started = client.post("/designer/start/leave_v2", data={"data": '{"days": 1}'})
    assert started.status_code == 302 and "/instances/" in started.headers["Location"]
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "<svg" in page and 'class="bpmn-task state-active"' in page
    assert client.post("/designer/start/leave_v2", data={"data": "[1]"}).status_code == 302
