"""Administration pages: accounts and groups, deputies, the working-day calendar and the outbox."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from engine.calendar import workdays
from engine.clocks import lifecycle as clocks
from engine.clocks.models import Clock
from engine.core.models import AuditEvent
from engine.flow import instances
from engine.org import deputies, notify
from engine.org import directory as org
from engine.org.models import Deputyship, Notification
from webapp.extensions import db


def field_error(page: str, field: str) -> str:
    """The refusal shown right after the form field named `field` ('' when there is none)."""
    found = re.search(rf'name="{field}".*?</label>\s*(?:<p class="error" role="alert">(.*?)</p>)?', page, re.S)
    assert found, f"no field {field}"
    return html.unescape(found.group(1) or "")


def _log_in(app: Flask, username: str, password: str) -> int:
    return app.test_client().post("/login", data={"username": username, "password": password}).status_code


def test_only_administrators_reach_any_admin_page(app: Flask, as_user: Any) -> None:
    for url in ("/admin/", "/admin/users", "/admin/users/zhang", "/admin/deputies", "/admin/calendar",
                "/admin/outbox"):
        assert as_user("zhang").get(url).status_code == 403, url
        assert as_user("mailbox_clerk").get(url).status_code == 403, url
        assert as_user("admin").get(url).status_code in (200, 302), url
    assert app.test_client().get("/admin/users").status_code == 302  # to the login page
    posts = {"/admin/users": {"username": "x"}, "/admin/users/zhang": {"display_name": "x", "active": "1"},
             "/admin/users/li/delete": {}, "/admin/calendar": {"day": "2026-11-20", "kind": "holiday", "note": "x"},
             "/admin/deputies": {"principal": "li", "deputy": "wang", "starts_on": "2026-11-02",
                                 "ends_on": "2026-11-03", "reason": "x"}}
    for url, data in posts.items():
        assert as_user("zhang").post(url, data=data).status_code == 403, url
    with app.app_context():
        session = db.session()
        assert org.find_user(session, "x") is None and org.find_user(session, "li") is not None
        assert org.get_user(session, "zhang").display_name == "zhang"
        assert workdays.calendar_for(session).is_workday(date(2026, 11, 20))
        assert session.scalar(select(func.count()).select_from(Deputyship)) == 0


def test_create_an_account_and_refuse_bad_input_next_to_its_field(app: Flask, as_user: Any) -> None:
    client = as_user("admin")
    bad = client.post("/admin/users", data={"username": "new clerk", "display_name": "新人"})
    assert bad.status_code == 400 and "不含空格" in field_error(bad.text, "username") and 'value="新人"' in bad.text
    taken = client.post("/admin/users", data={"username": "zhang", "display_name": "重名"})
    assert taken.status_code == 400 and "已被使用" in field_error(taken.text, "username")
    bad = client.post("/admin/users", data={"username": "zhao", "department": "nowhere"})
    assert bad.status_code == 400 and "nowhere" in field_error(bad.text, "department")
    bad = client.post("/admin/users", data={"username": "zhao", "email": "not-mail"})
    assert bad.status_code == 400 and "邮箱格式不正确" in field_error(bad.text, "email")
    bad = client.post("/admin/users", data={"username": "zhao", "password": "short"})
    assert bad.status_code == 400 and "密码至少" in field_error(bad.text, "password")
    bad = client.post("/admin/users", data={"username": "zhao", "groups": "a b"})
    assert bad.status_code == 400 and "不能含空格" in field_error(bad.text, "groups")
    made = client.post("/admin/users", data={"username": "zhao", "display_name": "赵六", "department": "szfb",
                                              "groups": "clerk，szfb_clerk", "email": "zhao@example.gov.cn",
                                              "password": "long-enough-1"})
    assert made.status_code == 302 and made.headers["Location"].endswith("/admin/users/zhao")
    listed = client.get("/admin/users?q=赵六").text
    assert 'data-user="zhao"' in listed and "clerk, szfb_clerk" in listed and 'data-user="zhang"' not in listed
    assert "zhao@example.gov.cn" in listed
    with app.app_context():
        session = db.session()
        assert org.group_codes(session, "zhao") == {"clerk", "szfb_clerk", "szfb"}
        created = session.scalars(select(AuditEvent).where(AuditEvent.action == "user_created")).one()
        assert created.actor == "admin" and created.detail["user"] == "zhao"
    assert _log_in(app, "zhao", "long-enough-1") == 302
    assert as_user("zhao").get("/admin/users").status_code == 403


def test_edit_an_account_reset_its_password_and_disable_it(app: Flask, as_user: Any) -> None:
    client = as_user("admin")
    client.post("/admin/users", data={"username": "zhao", "display_name": "赵六", "groups": "clerk",
                                      "password": "long-enough-1"})
    short = client.post("/admin/users/zhao", data={"display_name": "赵六", "groups": "clerk", "active": "1",
                                                   "password": "short"})
    assert short.status_code == 400 and "密码至少" in field_error(short.text, "password")
    bad = client.post("/admin/users/zhao", data={"display_name": "赵六", "groups": "clerk", "active": "1",
                                                 "email": "zhao@"})
    assert bad.status_code == 400 and "邮箱格式不正确" in field_error(bad.text, "email")
    saved = client.post("/admin/users/zhao", data={"display_name": "赵六六", "department": "fgw", "groups": "office",
                                                   "email": "zhao@example.gov.cn", "password": "another-pass-2"})
    assert saved.status_code == 302
    with app.app_context():
        session = db.session()
        user = org.get_user(session, "zhao")
        assert (user.display_name, user.department.code, user.active) == ("赵六六", "fgw", False)  # type: ignore[union-attr]
        assert org.group_codes(session, "zhao") == {"office", "fgw"}
        assert org.check_password(user.password_hash, "another-pass-2")
        assert not org.check_password(user.password_hash, "long-enough-1")
    listed = client.get("/admin/users?q=zhao").text
    assert re.search(r'data-user="zhao" class="disabled">.*?data-active="0"', listed, re.S)
    refused = client.post("/admin/users/admin", data={"display_name": "管理员", "groups": "designer", "active": "1"})
    assert refused.status_code == 400 and "管理员身份" in field_error(refused.text, "groups")
    refused = client.post("/admin/users/admin", data={"display_name": "管理员", "groups": "admin"})
    assert refused.status_code == 400
    with app.app_context():
        assert org.is_admin(db.session(), "admin") and org.get_user(db.session(), "admin").active
    assert client.get("/admin/users/nobody").status_code == 404
    assert client.post("/admin/users/nobody", data={"display_name": "x"}).status_code == 404


def test_delete_only_an_account_that_left_no_trace(app: Flask, as_user: Any, now: datetime) -> None:
    client = as_user("admin")
    client.post("/admin/users", data={"username": "typo", "groups": "clerk"})
    assert client.post("/admin/users/typo/delete").status_code == 302
    with app.app_context():
        assert org.find_user(db.session(), "typo") is None
        deleted = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "user_deleted")).one()
        assert (deleted.actor, deleted.detail["user"]) == ("admin", "typo")
    assert client.get("/admin/users/typo").status_code == 404
    with app.app_context():
        instances.start(db.session(), "zhang", now, "leave_request", {"days": 1}, title="张三请假一天")
        db.session.commit()
    kept = client.post("/admin/users/zhang/delete")
    assert kept.status_code == 400 and "只能停用" in kept.text and "发起的案件" in kept.text
    client.post("/admin/users", data={"username": "helper", "groups": "clerk"})
    client.post("/admin/deputies", data={"principal": "li", "deputy": "helper", "starts_on": "2026-11-02",
                                         "ends_on": "2026-11-03", "reason": "出差"})
    assert "授权代理" in client.post("/admin/users/helper/delete").text
    own = client.post("/admin/users/admin/delete")
    assert own.status_code == 400 and "不能删除自己" in own.text
    with app.app_context():
        for name in ("zhang", "helper", "admin"):
            assert org.find_user(db.session(), name) is not None, name
    assert client.post("/admin/users/nobody/delete").status_code == 404


def test_name_and_revoke_a_deputy(app: Flask, as_user: Any, now: datetime) -> None:
    client = as_user("admin")
    good = {"principal": "li", "deputy": "wang", "starts_on": "2026-11-02", "ends_on": "2026-11-06", "reason": "出差"}
    refusals = [({"deputy": "li"}, "deputy", "不能是本人"), ({"starts_on": "11/02"}, "starts_on", "YYYY-MM-DD"),
                ({"ends_on": ""}, "ends_on", "YYYY-MM-DD"), ({"ends_on": "2026-10-30"}, "ends_on", "晚于开始"),
                ({"ends_on": "2028-01-01"}, "ends_on", "最长"), ({"principal": "nobody"}, "principal", "nobody"),
                ({"deputy": "nobody"}, "deputy", "没有用户"), ({"reason": " "}, "reason", "代理原因")]
    for change, field, words in refusals:
        bad = client.post("/admin/deputies", data={**good, **change})
        assert bad.status_code == 400 and words in field_error(bad.text, field), (change, bad.text)
        assert 'value="出差"' in bad.text or change.get("reason")
    client.post("/admin/users/zhang", data={"display_name": "张", "groups": "clerk", "department": "szfb"})
    off = client.post("/admin/deputies", data={**good, "deputy": "zhang"})
    assert off.status_code == 400 and "已停用" in field_error(off.text, "deputy")
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Deputyship)) == 0
    assert client.post("/admin/deputies", data=good).status_code == 302
    with app.app_context():
        row = db.session().scalars(select(Deputyship)).one()
        assert (row.principal, row.deputy, row.granted_by, row.reason) == ("li", "wang", "admin", "出差")
        assert deputies.principals(db.session(), "wang", now) == ["li"]
        assert deputies.principals(db.session(), "wang", now + timedelta(days=4, hours=14)) == ["li"]  # 11-06 23:00
        assert deputies.principals(db.session(), "wang", now + timedelta(days=5)) == []  # 11-07 09:00
    page = client.get("/admin/deputies?current=1").text
    assert f'data-deputyship="{row.id}" data-state="current"' in page and "出差" in page
    assert as_user("wang").post(f"/admin/deputies/{row.id}/revoke").status_code == 403
    assert client.post(f"/admin/deputies/{row.id}/revoke").status_code == 302
    with app.app_context():
        assert db.session().get(Deputyship, row.id).revoked_at is not None  # type: ignore[union-attr]
        assert deputies.principals(db.session(), "wang", now) == []
    assert f'data-deputyship="{row.id}" data-state="revoked"' in client.get("/admin/deputies").text
    assert f'data-deputyship="{row.id}"' not in client.get("/admin/deputies?current=1").text
    assert client.post("/admin/deputies/9999/revoke").status_code == 404


def _month_workdays(page: str, month: int) -> int:
    found = re.search(rf'data-month="{month}" data-workdays="(\d+)"', page)
    assert found, month
    return int(found.group(1))


def test_the_calendar_shows_official_holidays_and_make_up_days(as_user: Any) -> None:
    client = as_user("admin")
    october = client.get("/admin/calendar?year=2026&month=10").text
    assert 'data-year-status="official"' in october and 'data-day="2026-10-01"' in october
    assert 'data-cell="2026-10-01" data-kind="holiday" data-workday="0"' in october  # 国庆节
    assert 'data-cell="2026-10-10" data-kind="makeup" data-workday="1"' in october  # 调休上班 (Saturday)
    assert 'data-cell="2026-10-12" data-kind="workday" data-workday="1"' in october
    assert 'data-cell="2026-10-11" data-kind="rest" data-workday="0"' in october
    # 22 weekdays, less five of 国庆 (1, 2, 5, 6, 7 October), plus the make-up Saturday.
    assert 'data-month-workdays="18"' in october and _month_workdays(october, 10) == 18
    later = client.get("/admin/calendar?year=2027").text
    assert 'data-year-status="provisional"' in later
    assert 'data-cell="2027-01-01" data-kind="workday"' in later  # unpublished: the weekday rule only
    assert client.get("/admin/calendar?year=abc&month=13").status_code == 200
    checked = client.get("/admin/calendar?year=2026&check=2026-10-10").text
    assert 'data-checked="2026-10-10"' in checked


def test_override_a_day_and_the_calendar_and_clocks_count_it(app: Flask, as_user: Any, now: datetime) -> None:
    with app.app_context():
        clock = clocks.start_clock(db.session(), "admin", now, "xk_supplement_notice")  # 5 working days
        db.session.commit()
        clock_id, due = clock.id, clock.due_at
    client = as_user("admin")
    before = client.get("/admin/calendar?year=2026&month=11").text
    year_before = int(re.search(r'data-year-workdays="(\d+)"', before).group(1))  # type: ignore[union-attr]
    assert _month_workdays(before, 11) == 21
    refusals = [({"note": ""}, "note", "调整原因"), ({"kind": "maybe"}, "kind", "工作日或休息日"),
                ({"day": "20/11/2026"}, "day", "YYYY-MM-DD"), ({"day": "3026-01-01"}, "day", "之间")]
    for change, field, words in refusals:
        bad = client.post("/admin/calendar", data={"day": "2026-11-04", "kind": "holiday", "note": "地方节日", **change})
        assert bad.status_code == 400 and words in field_error(bad.text, field), change
    done = client.post("/admin/calendar", data={"day": "2026-11-04", "kind": "holiday", "note": "地方节日"})
    assert done.status_code == 302
    shown = client.get(done.headers["Location"]).text
    assert 'data-checked="2026-11-04"' in shown and "休息日" in shown and "地方节日" in shown
    assert 'class="cal-holiday cal-override" data-cell="2026-11-04" data-kind="holiday" data-workday="0"' in shown
    assert _month_workdays(shown, 11) == 20 and f'data-year-workdays="{year_before - 1}"' in shown
    with app.app_context():
        session = db.session()
        assert workdays.calendar_for(session).is_workday(date(2026, 11, 4)) is False
        assert session.get(Clock, clock_id).due_at == due + timedelta(days=1)  # type: ignore[union-attr]
    saturday = client.post("/admin/calendar", data={"day": "2026-11-07", "kind": "workday", "note": "补班"})
    shown = client.get(saturday.headers["Location"]).text
    assert 'data-cell="2026-11-07" data-kind="makeup" data-workday="1"' in shown
    assert _month_workdays(shown, 11) == 21
    with app.app_context():
        assert db.session().get(Clock, clock_id).due_at == due  # type: ignore[union-attr]


def test_the_outbox_shows_messages_newest_first_and_filters(app: Flask, as_user: Any, now: datetime) -> None:
    with app.app_context():
        session = db.session()
        notify.enqueue(session, now, "13800138000", "sms", "验证码", "您的验证码是 482913")
        notify.enqueue(session, now, "zhang@example.gov.cn", "email", "催办", "请尽快办理")
        session.commit()
    client = as_user("admin")
    page = client.get("/admin/outbox?channel=sms").text
    assert "482913" in page and "请尽快办理" not in page
    both = client.get("/admin/outbox").text
    assert both.index("请尽快办理") < both.index("482913")
    mine = client.get("/admin/outbox?recipient=13800138000").text
    assert "482913" in mine and "请尽快办理" not in mine
    assert "482913" not in client.get("/admin/outbox?channel=email&recipient=13800138000").text


def test_the_outbox_pages_through_many_messages(app: Flask, as_user: Any, now: datetime) -> None:
    with app.app_context():
        session = db.session()
        for n in range(55):
            notify.enqueue(session, now, f"1380013{n:04d}", "sms", "验证码", f"code-{n:02d}")
        session.commit()
        assert session.scalar(select(func.count()).select_from(Notification)) == 55
    client = as_user("admin")
    first = client.get("/admin/outbox?channel=sms").text
    assert first.count("data-notification=") == 50 and "code-54" in first and "code-04" not in first
    assert 'data-total="55"' in first and "page=2" in first
    second = client.get("/admin/outbox?channel=sms&page=2").text
    assert second.count("data-notification=") == 5 and "code-00" in second and "code-54" not in second


def test_a_disabled_account_cannot_sign_in_and_is_signed_out(app: Flask, as_user: Any) -> None:
    from engine.org import directory as org_

    with app.app_context():
        user = org_.get_user(db.session(), "zhang")
        user.password_hash = org_.hash_password("zhang-pass-1")
        db.session.commit()
    signed_in = as_user("zhang")
    assert signed_in.get("/inbox/").status_code == 200
    with app.app_context():
        org_.get_user(db.session(), "zhang").active = False
        db.session.commit()
    assert signed_in.get("/inbox/").status_code == 302, "a session of a disabled account ends"
    refused = app.test_client().post("/login", data={"username": "zhang", "password": "zhang-pass-1"})
    assert refused.status_code == 401
