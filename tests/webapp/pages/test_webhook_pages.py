"""结果推送 pages: an administrator subscribes a receiver, sees its secret once, reads the delivery log in
Chinese and replays a delivery; the scheduler's tick sends to a real receiver on loopback."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.flow import instances
from engine.ops.webhook_models import WebhookDelivery, WebhookSubscription
from tests.engine.ops.webhook_receiver import Receiver, running
from tests.webapp.pages.test_admin_pages import field_error
from webapp import runner
from webapp.extensions import db


@pytest.fixture
def receiver(app: Flask) -> Iterator[Receiver]:
    app.config["GOVFLOW_WEBHOOK_ALLOWED_HOSTS"] = ("127.0.0.1",)
    clock = app.config["GOVFLOW_CLOCK"]
    with running(Receiver(lambda: int(clock.now().timestamp()))) as found:
        yield found


def visible(page: str) -> str:
    """The words a reader sees: tags, attributes and scripts dropped."""
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)))


def subscribe(client: Any, receiver: Receiver, kinds: tuple[str, ...] = ("instance.started", "task.created")) -> str:
    made = client.post("/admin/webhooks", data={"url": receiver.url, "description": "省政务服务平台", "kinds": list(kinds)})
    assert made.status_code == 200
    [secret] = re.findall(r"<code data-secret>(whsec_[^<]+)</code>", made.text)
    receiver.secret = secret
    return secret


def test_only_administrators_manage_webhooks(app: Flask, as_user: Any, receiver: Receiver) -> None:
    for url in ("/admin/webhooks", "/admin/webhooks/deliveries"):
        assert as_user("zhang").get(url).status_code == 403
        assert as_user("admin").get(url).status_code == 200
    posted = as_user("zhang").post("/admin/webhooks", data={"url": receiver.url, "kinds": "instance.started"})
    assert posted.status_code == 403
    for url in ("/admin/webhooks/1/disable", "/admin/webhooks/1/delete", "/admin/webhooks/deliveries/1/replay"):
        assert as_user("zhang").post(url).status_code == 403
    with app.app_context():
        assert db.session().scalars(select(WebhookSubscription)).all() == []


def test_bad_subscriptions_are_refused_next_to_their_field(app: Flask, as_user: Any, receiver: Receiver) -> None:
    client = as_user("admin")
    inside = client.post("/admin/webhooks", data={"url": "http://10.0.0.8/hooks", "kinds": "instance.started"})
    assert inside.status_code == 400
    assert "内网地址" in field_error(inside.text, "url") and "GOVFLOW_WEBHOOK_ALLOWED_HOSTS" in field_error(inside.text, "url")
    assert 'value="instance.started" checked' in inside.text  # nothing typed is lost
    none = client.post("/admin/webhooks", data={"url": receiver.url, "description": "无事件"})
    assert none.status_code == 400 and 'value="无事件"' in none.text
    assert "请至少选择一种事件" in visible(none.text)
    with app.app_context():
        assert db.session().scalars(select(WebhookSubscription)).all() == []


def test_the_secret_shows_once_and_the_log_replays_a_delivery(app: Flask, as_user: Any, receiver: Receiver,
                                                              now: Any) -> None:
    client = as_user("admin")
    secret = subscribe(client, receiver)
    listed = client.get("/admin/webhooks").text
    assert secret not in listed and receiver.url in listed and "案件发起、新待办" in visible(listed)
    with app.app_context():
        instances.start(db.session(), "zhang", now, "leave_request", {"days": 1}, title="张三请假一天")
        db.session.commit()
    tick = runner.make_tick(app, app.config["GOVFLOW_CLOCK"])
    assert tick().webhooks_delivered == 2
    assert receiver.kinds() == ["instance.started", "task.created"] and receiver.bad_signatures == 0
    log = client.get("/admin/webhooks/deliveries").text
    words = visible(log)
    assert words.count("已投递") >= 2 and "案件发起" in words and "新待办" in words and "HTTP 204" in words
    assert "msg_" not in words and "None" not in words and "instance.started" not in words
    [first] = re.findall(r'data-delivery="(\d+)" data-status="delivered">\s*<td data-label="[^"]*">[^<]*</td>'
                         r'<td data-label="[^"]*">案件发起', log)
    replayed = client.post(f"/admin/webhooks/deliveries/{first}/replay")
    assert replayed.status_code == 302 and "/admin/webhooks/deliveries" in replayed.headers["Location"]
    assert "待投递" in visible(client.get("/admin/webhooks/deliveries?status=pending").text)
    assert tick().webhooks_delivered == 1
    assert (len(receiver.processed), receiver.duplicates) == (2, 1)  # the same webhook-id: processed once


def test_a_410_answer_shows_the_subscription_stopped_and_it_can_be_resumed(app: Flask, as_user: Any,
                                                                         receiver: Receiver, now: Any) -> None:
    client = as_user("admin")
    subscribe(client, receiver, ("instance.started",))
    receiver.answer = 410
    with app.app_context():
        instances.start(db.session(), "zhang", now, "leave_request", {"days": 1}, title="请假")
        db.session.commit()
        sub_id = db.session().scalars(select(WebhookSubscription.id)).one()
    runner.make_tick(app, app.config["GOVFLOW_CLOCK"])()
    words = visible(client.get("/admin/webhooks").text)
    assert "已停用：接收方答复 410 Gone（不再接收），订阅已停用" in words and "接收方已停用 1" in words
    assert client.post(f"/admin/webhooks/{sub_id}/enable").status_code == 302
    assert "已启用订阅" in visible(client.get("/admin/webhooks").text)
    assert client.post(f"/admin/webhooks/{sub_id}/delete").status_code == 302
    with app.app_context():
        assert db.session().scalars(select(WebhookDelivery)).all() == []
