"""The demo shows a newcomer the day's real work at once, on the pages they will use: a draft sent back
and resubmitted, a deputy's 待办, an extension request to decide, copies read and unread, and leave
clocks counted on the leave policy with every finished step put to a person."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.clocks.models import Clock
from engine.flow.models import Instance
from engine.gov import extensions
from engine.org.models import User
from tests.conftest import NOW
from webapp import demo
from webapp.extensions import db


@pytest.fixture
def demo_app(app: Flask) -> Flask:
    with app.app_context():
        demo.seed(db.session(), NOW)
        db.session.commit()
    return app


def _case(app: Flask, title: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(Instance.id).where(Instance.title == title))
    assert found is not None, title
    return int(found)


def test_the_resubmitted_draft_shows_its_send_back_and_waits_for_review_again(demo_app: Flask, as_user: Any) -> None:
    iid = _case(demo_app, "关于调整市政府机关公务用车管理规定的通知")
    page = as_user("szfb_head").get(f"/instances/{iid}").get_data(as_text=True)
    assert "退回" in page and "标题应写明“管理规定”，请修改后重报" in page
    assert "已按意见修改标题" in page
    inbox = as_user("szfb_head").get("/inbox/").get_data(as_text=True)
    assert "关于调整市政府机关公务用车管理规定的通知" in inbox


def test_the_deputy_finds_the_absent_heads_steps(demo_app: Flask, as_user: Any) -> None:
    inbox = as_user("szfb_checker").get("/inbox/").get_data(as_text=True)
    assert "代" in inbox and "关于调整市政府机关公务用车管理规定的通知" in inbox


def test_an_extension_request_waits_on_the_deciders_page(demo_app: Flask, as_user: Any) -> None:
    with demo_app.app_context():
        s = db.session()
        deciders = [u.username for u in s.scalars(select(User).order_by(User.username))
                    if extensions.pending_for(s, u.username)]
    assert deciders, "nobody has an extension request to decide"
    page = as_user(deciders[0]).get("/inbox/extensions").get_data(as_text=True)
    assert "需组织专家论证建设方案，请求延长三个工作日" in page


def test_copies_are_read_by_one_and_unread_by_the_other(demo_app: Flask, as_user: Any) -> None:
    read = as_user("wangwu").get("/inbox/?tab=copies").get_data(as_text=True)
    unread = as_user("szfb_head").get("/inbox/?tab=copies").get_data(as_text=True)
    assert "张三请假三天（探亲）" in read and "张三请假三天（探亲）" in unread
    assert "已读" in read and "未读" in unread


def test_leave_clocks_run_on_the_leave_policy_and_every_finished_step_has_a_person(demo_app: Flask,
                                                                                   as_user: Any) -> None:
    with demo_app.app_context():
        s = db.session()
        leave = s.scalars(select(Clock).join(Instance, Instance.id == Clock.instance_id)
                          .where(Instance.process_id == "leave_request")).all()
        assert leave and {c.policy_code for c in leave} == {"leave_approval"}
    report = as_user("supervisor").get("/supervision/reports").get_data(as_text=True)
    handlers = report.split("经办人", 1)[1]
    assert "未指定" not in handlers
