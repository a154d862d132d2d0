"""抄送 with its read state for the sender, and 通知: every person's notices with the unread count in the
header, read one by one or all at once."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from engine.flow import instances, tasks
from engine.org import directory as org
from engine.org import notify
from tests.conftest import NOW
from webapp.extensions import db


def _review(app: Flask) -> tuple[int, str]:
    with app.app_context():
        session = db.session()
        inst = instances.start(session, "zhang", NOW, "leave_request", {"days": 2})
        [apply] = tasks.open_for_instance(session, inst.id)
        tasks.complete(session, "zhang", NOW, apply.id, {"days": 2, "reason": "家事"})
        [review] = tasks.open_for_instance(session, inst.id)
        session.commit()
        return inst.id, review.id


def test_the_sender_sees_who_read_the_copy_and_when(app: Flask, as_user: Any) -> None:
    iid, review = _review(app)
    head = as_user("li")
    picker = re.search(r'<select name="recipients" multiple[^>]*>(.*?)</select>', head.get(f"/inbox/tasks/{review}").text, re.S)
    assert picker and '<option value="wang">' in picker.group(1), "抄送 picks people by name"
    sent = head.post(f"/inbox/tasks/{review}/copy", data={"recipients": ["wang"], "note": "请知悉"}, follow_redirects=True)
    assert "已抄送" in sent.text
    case = head.get(f"/instances/{iid}").text
    assert re.search(r'<tr data-copy="\d+"><td[^>]*>wang</td>.*?data-read="no"', case, re.S)
    copies = as_user("wang").get("/inbox/?tab=copies").text
    copy_id = re.search(r'/inbox/copies/(\d+)/read', copies).group(1)  # type: ignore[union-attr]
    as_user("wang").post(f"/inbox/copies/{copy_id}/read")
    case = head.get(f"/instances/{iid}").text
    assert re.search(r'data-read="yes"[^>]*>已读 2026-11-02 09:00', case)


def test_copies_are_shown_to_their_sender_and_the_starter_only(app: Flask, as_user: Any) -> None:
    iid, review = _review(app)
    as_user("li").post(f"/inbox/tasks/{review}/copy", data={"recipients": ["wang"]})
    assert 'id="copies"' in as_user("zhang").get(f"/instances/{iid}").text  # the starter
    assert 'id="copies"' not in as_user("wang").get(f"/instances/{iid}").text  # the reader is not told who else


def test_notices_are_listed_counted_in_the_header_and_read(app: Flask, as_user: Any) -> None:
    iid, _ = _review(app)
    with app.app_context():
        session = db.session()
        li = org.get_user(session, "li")
        notify.notify_user(session, NOW, li, "【黄牌预警】请假审批", "剩余办理时间不多", kind="clock_yellow", instance_id=iid)
        notify.notify_user(session, NOW, li, "催办", "请今日审批", kind="urge")
        session.commit()
    head = as_user("li")
    inbox = head.get("/inbox/").text
    assert re.search(r'class="notices-link alert" data-unread="2">通知 <span class="count">2</span>', inbox)
    page = head.get("/notices/").text
    assert page.count('<li class="notice unread') == 2 and "【黄牌预警】请假审批" in page
    notice = re.search(r'data-notice="(\d+)">\s*<div class="head"><strong>【黄牌预警】', page).group(1)  # type: ignore[union-attr]
    opened = head.post("/notices/read", data={"id": notice, "instance_id": str(iid)})
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/instances/{iid}")
    assert 'data-unread="1"' in head.get("/notices/").text
    head.post("/notices/read", follow_redirects=True)
    assert 'data-unread="0"' in head.get("/notices/").text
    assert as_user("wang").get("/notices/").text.count('<li class="notice') == 0  # each person's own
