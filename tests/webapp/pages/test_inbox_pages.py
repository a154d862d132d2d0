"""Inbox and task pages through the Flask test client: lists, visibility, completion and operations."""

from __future__ import annotations

from typing import Any

from flask import Flask

from engine.core import audit
from engine.flow import instances, tasks
from webapp.extensions import db


def _submitted(app: Flask, who: str = "zhang") -> tuple[int, str]:
    """A leave request submitted by `who`; returns the instance and the head's review task."""
    with app.app_context():
        s = db.session()
        inst = instances.start(s, who, app.config["GOVFLOW_CLOCK"].now(), "leave_request", {"days": 2},
                               title="张三请假两天")
        [apply] = tasks.open_for_instance(s, inst.id)
        tasks.complete(s, who, app.config["GOVFLOW_CLOCK"].now(), apply.id, {"days": 2})
        [review] = tasks.open_for_instance(s, inst.id)
        s.commit()
        return inst.id, review.id


def test_the_head_sees_the_request_in_todo_and_the_clerk_in_started(app: Flask, as_user: Any) -> None:
    inst, review = _submitted(app)
    page = as_user("li").get("/inbox/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "张三请假两天" in text and f"/inbox/tasks/{review}" in text
    assert "张三请假两天" not in as_user("wang").get("/inbox/").get_data(as_text=True)
    started = as_user("zhang").get("/inbox/?tab=started").get_data(as_text=True)
    assert "张三请假两天" in started
    filtered = as_user("li").get("/inbox/?q=不存在的标题").get_data(as_text=True)
    assert "张三请假两天" not in filtered
    assert as_user("li").get("/inbox/?tab=nonsense").status_code == 404


def test_pages_need_a_login(app: Flask) -> None:
    assert app.test_client().get("/inbox/").status_code in (302, 401)


def test_a_stranger_gets_404_for_someone_elses_task_and_case(app: Flask, as_user: Any) -> None:
    inst, review = _submitted(app)
    assert as_user("wang").get(f"/inbox/tasks/{review}").status_code == 404
    assert as_user("wang").get(f"/instances/{inst}").status_code == 404
    assert as_user("wang").post(f"/inbox/tasks/{review}/complete", data={"approved": "true"}).status_code == 404
    assert as_user("li").get(f"/inbox/tasks/{review}").status_code == 200


def test_completing_from_the_page_advances_the_case_and_records_the_opinion(app: Flask, as_user: Any) -> None:
    inst, review = _submitted(app)
    client = as_user("li")
    refused = client.post(f"/inbox/tasks/{review}/complete", data={"approved": "false"})
    assert refused.status_code == 400 and "「审批意见」为必填项" in refused.get_data(as_text=True)
    response = client.post(f"/inbox/tasks/{review}/complete", data={"approved": "true", "opinion": "同意"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        events = [e for e in audit.trail(db.session(), inst) if e.action == "complete" and e.actor == "li"]
    assert [e.opinion for e in events] == ["同意"]
    again = client.post(f"/inbox/tasks/{review}/complete", data={"approved": "true"})
    assert again.status_code == 409  # a stale task is refused, not done twice


def test_send_back_from_the_page_returns_the_case_to_the_clerk(app: Flask, as_user: Any) -> None:
    inst, review = _submitted(app)
    client = as_user("li")
    page = client.get(f"/inbox/tasks/{review}").get_data(as_text=True)
    assert "退回" in page
    with app.app_context():
        from engine.flow import task_actions
        [target] = task_actions.send_back_targets(db.session(), app.config["GOVFLOW_CLOCK"].now(), review)
    missing_reason = client.post(f"/inbox/tasks/{review}/send-back", data={"target": target["task_id"]})
    assert missing_reason.status_code == 302
    with app.app_context():
        assert [t.element_id for t in tasks.open_for_instance(db.session(), inst)] == ["head_review"]
    client.post(f"/inbox/tasks/{review}/send-back", data={"target": target["task_id"], "reason": "请写明事由"})
    with app.app_context():
        [row] = tasks.open_for_instance(db.session(), inst)
        assert row.element_id == "apply" and row.assignee == "zhang"
    assert "张三请假两天" in as_user("zhang").get("/inbox/").get_data(as_text=True)


def test_attachments_upload_download_and_hostile_files(app: Flask, as_user: Any) -> None:
    from io import BytesIO

    inst, review = _submitted(app)
    client = as_user("li")
    pdf = b"%PDF-1.4\n%%EOF\n"
    client.post(f"/inbox/tasks/{review}/attachments", data={"file": (BytesIO(pdf), "意见.pdf")},
                content_type="multipart/form-data")
    hostile = client.post(f"/inbox/tasks/{review}/attachments",
                          data={"file": (BytesIO(b"<script>alert(1)</script>"), "x.pdf")},
                          content_type="multipart/form-data", follow_redirects=True)
    assert "的内容与扩展名 .pdf 不符，已拒收" in hostile.get_data(as_text=True)
    with app.app_context():
        from engine.flow import attachments
        [row] = attachments.of_instance(db.session(), inst)
    got = client.get(f"/inbox/attachments/{row.id}")
    assert got.status_code == 200 and got.data == pdf
    assert got.headers["X-Content-Type-Options"] == "nosniff" and "attachment" in got.headers["Content-Disposition"]
    assert as_user("wang").get(f"/inbox/attachments/{row.id}").status_code in (403, 404)


def test_a_long_list_links_a_window_of_pages_not_all_of_them(app: Flask, as_user: Any) -> None:
    import re

    with app.app_context():
        s = db.session()
        for n in range(261):  # 14 pages of 20 open 填写申请 steps in zhang's 待办
            instances.start(s, "zhang", app.config["GOVFLOW_CLOCK"].now(), "leave_request", {"days": 1},
                            title=f"请假 {n}")
        s.commit()
    text = as_user("zhang").get("/inbox/?page=7").get_data(as_text=True)
    pager = re.search(r'<nav class="pager">(.*?)</nav>', text, re.S)
    assert pager is not None
    linked = [int(n) for n in re.findall(r"page=(\d+)", pager.group(1))]
    assert linked == [1, 3, 4, 5, 6, 8, 9, 10, 11, 14] and "<strong>7</strong>" in pager.group(1)
    assert pager.group(1).count("…") == 2


def test_other_tabs_show_a_capped_todo_number(app: Flask, as_user: Any, monkeypatch: Any) -> None:
    """Past the cap the 待办 tab reads "cap+" on the other tabs; on its own list the number is exact."""
    from webapp.inbox import queries

    _submitted(app)
    _submitted(app)
    head = as_user("li")
    monkeypatch.setattr(queries, "TAB_TODO_CAP", 1)
    assert 'data-tab="todo">待办 <span class="count">1+</span>' in head.get("/inbox/?tab=done").get_data(as_text=True)
    assert 'data-tab="todo">待办 <span class="count">2</span>' in head.get("/inbox/").get_data(as_text=True)
    monkeypatch.setattr(queries, "TAB_TODO_CAP", 2)
    assert 'data-tab="todo">待办 <span class="count">2</span>' in head.get("/inbox/?tab=done").get_data(as_text=True)
