"""Administration pages: accounts and groups, deputies, the working-day calendar and the outbox."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask

from engine import deputies, notify, org, workdays
from engine.models_gov import Deputyship
from webapp.extensions import db


def test_only_administrators_reach_any_admin_page(as_user: Any) -> None:
    for url in ("/admin/users", "/admin/users/zhang", "/admin/deputies", "/admin/calendar", "/admin/outbox"):
        assert as_user("zhang").get(url).status_code == 403, url
        assert as_user("admin").get(url).status_code == 200, url
    assert as_user("zhang").post("/admin/users", data={"username": "x"}).status_code == 403


def test_create_edit_and_reset_an_account(app: Flask, as_user: Any) -> None:
    client = as_user("admin")
    bad = client.post("/admin/users", data={"username": "new clerk", "display_name": "新人"})
    assert bad.status_code == 400 and "without spaces" in bad.text and 'value="新人"' in bad.text
    bad = client.post("/admin/users", data={"username": "zhao", "department": "nowhere"})
    assert bad.status_code == 400 and "nowhere" in bad.text
    bad = client.post("/admin/users", data={"username": "zhao", "email": "not-mail"})
    assert bad.status_code == 400 and "邮箱格式不正确" in bad.text
    made = client.post("/admin/users", data={"username": "zhao", "display_name": "赵六", "department": "szfb",
                                              "groups": "clerk, szfb_clerk", "password": "long-enough-1"})
    assert made.status_code == 302
    listed = client.get("/admin/users?q=赵六").text
    assert 'data-user="zhao"' in listed and "clerk, szfb_clerk" in listed and 'data-user="zhang"' not in listed
    short = client.post("/admin/users/zhao", data={"display_name": "赵六", "groups": "clerk", "active": "1",
                                                   "password": "short"})
    assert short.status_code == 400 and "密码至少" in short.text
    saved = client.post("/admin/users/zhao", data={"display_name": "赵六六", "department": "fgw", "groups": "office",
                                                   "email": "zhao@example.gov.cn", "password": "another-pass-2"})
    assert saved.status_code == 302
    with app.app_context():
        session = db.session()
        user = org.get_user(session, "zhao")
        assert (user.display_name, user.department.code, user.active) == ("赵六六", "fgw", False)  # type: ignore[union-attr]
        assert org.group_codes(session, "zhao") == {"office", "fgw"}
        assert org.check_password(user.password_hash, "another-pass-2")
    refused = client.post("/admin/users/admin", data={"display_name": "管理员", "groups": "designer", "active": "1"})
    assert refused.status_code == 400 and "管理员身份" in refused.text
    assert client.get("/admin/users/nobody").status_code == 404


def test_name_and_revoke_a_deputy(app: Flask, as_user: Any) -> None:
    client = as_user("admin")
    bad = client.post("/admin/deputies", data={"principal": "li", "deputy": "li", "starts_on": "2026-11-02",
                                               "ends_on": "2026-11-06", "reason": "出差"})
    assert bad.status_code == 400 and "own deputy" in bad.text
    bad = client.post("/admin/deputies", data={"principal": "li", "deputy": "wang", "starts_on": "11/02",
                                               "ends_on": "2026-11-06", "reason": "出差"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    ok = client.post("/admin/deputies", data={"principal": "li", "deputy": "wang", "starts_on": "2026-11-02",
                                              "ends_on": "2026-11-06", "reason": "出差"})
    assert ok.status_code == 302
    with app.app_context():
        row = db.session().query(Deputyship).one()
        assert deputies.principals(db.session(), "wang", row.starts_at) == ["li"]
    page = client.get("/admin/deputies").text
    assert f'data-deputyship="{row.id}"' in page and "出差" in page
    assert client.post(f"/admin/deputies/{row.id}/revoke").status_code == 302
    with app.app_context():
        assert db.session().get(Deputyship, row.id).revoked_at is not None  # type: ignore[union-attr]
    assert "已撤销" in client.get("/admin/deputies").text


def test_override_a_day_and_the_calendar_counts_it(app: Flask, as_user: Any) -> None:
    client = as_user("admin")
    page = client.get("/admin/calendar?year=2026").text
    assert 'data-year-status="official"' in page and 'data-day="2026-10-01"' in page  # 国庆
    assert 'data-year-status="provisional"' in client.get("/admin/calendar?year=2031").text
    assert client.post("/admin/calendar", data={"day": "2026-11-20", "kind": "holiday", "note": ""}).status_code == 400
    assert client.post("/admin/calendar", data={"day": "2026-11-20", "kind": "maybe", "note": "x"}).status_code == 400
    done = client.post("/admin/calendar", data={"day": "2026-11-20", "kind": "holiday", "note": "地方节日"})
    assert done.status_code == 302
    shown = client.get(done.headers["Location"]).text
    assert 'data-checked="2026-11-20"' in shown and "休息日" in shown and "地方节日" in shown
    with app.app_context():
        assert workdays.calendar_for(db.session()).is_workday(date(2026, 11, 20)) is False


def test_the_outbox_shows_messages_newest_first_and_filters(app: Flask, as_user: Any, now: Any) -> None:
    with app.app_context():
        session = db.session()
        notify.enqueue(session, now, "13800138000", "sms", "验证码", "您的验证码是 482913")
        notify.enqueue(session, now, "zhang@example.gov.cn", "email", "催办", "请尽快办理")
        session.commit()
    page = as_user("admin").get("/admin/outbox?channel=sms").text
    assert "482913" in page and "请尽快办理" not in page
    both = as_user("admin").get("/admin/outbox").text
    assert both.index("请尽快办理") < both.index("482913")
