"""The public portal through the Flask test client: letters with a one-time code, lookups and throttling,
ratings, published replies, licence applications with materials, 补正 answered online, submissions kept
when the engine fails and started later, and hostile input refused field by field."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.clocks import lifecycle as clocks
from engine.clocks.models import Clock
from engine.core import audit
from engine.flow import definitions, instances, tasks
from engine.flow.models import Attachment, HumanTask, Instance
from engine.gov import portal
from engine.gov.models import Application, Letter
from engine.org.models import Notification, OneTimeCode
from tests.conftest import NOW
from tests.webapp.pages.conftest import ROOT
from webapp.extensions import db

PHONE = "13800138000"
LETTER = {"writer_name": "李市民", "phone": PHONE, "category": "complain", "title": "小区夜间施工噪音扰民",
          "content": "某某小区旁工地每晚十一点后仍在施工，请有关部门查处。", "wants_public": "1"}
APPLY = {"applicant": "某某餐饮管理有限公司", "id_number": "91110000MA01ABCD3X", "phone": "13900139000",
         "description": "在某某路 8 号开办餐饮店"}
PDF, PNG = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def portal_app(app: Flask) -> Iterator[Flask]:
    """The page fixtures' app with the mailbox and joint licensing processes deployed."""
    with app.app_context():
        batch = [(name, (ROOT / "processes" / name).read_bytes()) for name in ("mayor_mailbox.bpmn",
                                                                               "licence_joint.bpmn")]
        definitions.deploy(db.session(), "admin", NOW, batch)
        db.session.commit()
    yield app


@pytest.fixture
def client(portal_app: Flask) -> FlaskClient:
    return portal_app.test_client()


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _clock(app: Flask) -> Any:
    return app.config["GOVFLOW_CLOCK"]


def _sent_code(app: Flask, phone: str = PHONE) -> str:
    """What an operator reads on the outbox page: the SMS row's body holds the code."""
    with app.app_context():
        row = db.session.scalars(select(Notification).where(Notification.recipient == phone,
                                                            Notification.channel == "sms")
                                 .order_by(Notification.id.desc())).first()
        assert row is not None and row.status == "pending"
        match = re.search(r"\d{6}", row.body)
        assert match
        return match.group(0)


def _write(client: FlaskClient, app: Flask, **changes: str) -> tuple[str, str]:
    """A letter written through the pages; returns its code and password as the page shows them once."""
    form = {**LETTER, **changes}
    assert client.post("/portal/mailbox/code", data=form).status_code == 200
    done = client.post("/portal/mailbox/write", data={**form, "code": _sent_code(app, form["phone"])})
    assert done.status_code == 200, _text(done)
    code = re.search(r"data-letter-code>(XX\d{14})<", _text(done))
    password = re.search(r"data-letter-password>(\d{6})<", _text(done))
    assert code and password
    return code.group(1), password.group(1)


def _apply(client: FlaskClient, matter: str = "catering", files: list[tuple[bytes, str]] | None = None,
           **changes: str) -> Any:
    data: dict[str, Any] = {**APPLY, **changes}
    data["materials"] = [_upload(content, name) for content, name in (files if files is not None
                                                                      else [(PDF, "申请表.pdf")])]
    return client.post(f"/portal/licence/apply/{matter}", data=data, content_type="multipart/form-data")


def _upload(content: bytes, name: str) -> Any:
    return (io.BytesIO(content), name)


def _number(response: Any) -> str:
    found = re.search(r"data-application-number>(XK\d{14})<", _text(response))
    assert found, _text(response)
    return found.group(1)


def _complete(app: Flask, iid: int, element: str, actor: str, data: dict[str, Any]) -> None:
    with app.app_context():
        s = db.session()
        [row] = [t for t in tasks.open_for_instance(s, iid) if t.element_id == element]
        tasks.complete(s, actor, _clock(app).now(), row.id, data)
        s.commit()


def _letter(app: Flask, code: str) -> Letter:
    with app.app_context():
        row = db.session.scalar(select(Letter).where(Letter.code == code))
        assert row is not None
        db.session.expunge(row)
        return row


def _application(app: Flask, number: str) -> Application:
    with app.app_context():
        row = db.session.scalar(select(Application).where(Application.number == number))
        assert row is not None
        db.session.expunge(row)
        return row


def test_the_portal_links_every_public_service(client: FlaskClient) -> None:
    page = _text(client.get("/portal/"))
    for path in ("/portal/mailbox/write", "/portal/mailbox/query", "/portal/mailbox/replies",
                 "/portal/licence/", "/portal/licence/query"):
        assert f'href="{path}"' in page
        assert client.get(path).status_code == 200
    matters = _text(client.get("/portal/licence/"))
    assert "开办餐饮店" in matters and "/portal/licence/apply/catering" in matters and "油烟净化设施说明" in matters
    assert client.get("/portal/licence/apply/catering").status_code == 200
    assert client.get("/portal/licence/apply/casino").status_code == 404


def test_a_letter_needs_the_code_from_the_outbox_and_gets_a_code_and_password(portal_app: Flask,
                                                                               client: FlaskClient) -> None:
    sent = client.post("/portal/mailbox/code", data=LETTER)
    assert sent.status_code == 200 and 'data-sent="8000"' in _text(sent)
    assert LETTER["content"] in _text(sent)  # what was written stays in the form
    code = _sent_code(portal_app)
    wrong = client.post("/portal/mailbox/write", data={**LETTER, "code": "000000" if code != "000000" else "1"})
    assert wrong.status_code == 400 and "「验证码」验证码错误" in _text(wrong)
    with portal_app.app_context():
        assert db.session.scalar(select(OneTimeCode.attempts)) == 1  # the wrong try was kept
        assert db.session.scalar(select(func.count()).select_from(Letter)) == 0
    done = client.post("/portal/mailbox/write", data={**LETTER, "code": code})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    letter_code = re.search(r"data-letter-code>(XX20261102\d{6})<", _text(done))
    password = re.search(r"data-letter-password>(\d{6})<", _text(done))
    assert letter_code and password
    row = _letter(portal_app, letter_code.group(1))
    assert row.folder == "new" and row.instance_id and row.wants_public and row.writer_name == "李市民"
    assert password.group(1) not in row.password_hash
    with portal_app.app_context():
        s = db.session()
        assert [t.element_id for t in tasks.open_for_instance(s, row.instance_id)] == ["receive"]
        submitted = [e for e in audit.trail(s, row.instance_id) if e.action == "letter_submitted"]
        assert submitted[0].detail["channel"] == "portal"
    again = client.post("/portal/mailbox/write", data={**LETTER, "code": code})
    assert again.status_code == 400 and "「验证码」验证码已过期或已使用，请重新获取" in _text(again)


def test_asking_for_codes_too_often_answers_429(portal_app: Flask, client: FlaskClient) -> None:
    assert client.post("/portal/mailbox/code", data=LETTER).status_code == 200
    _clock(portal_app).advance(seconds=30)
    soon = client.post("/portal/mailbox/code", data=LETTER)
    assert soon.status_code == 429 and "刚刚已向该号码发送过验证码，请 31 秒后再获取" in _text(soon)
    _clock(portal_app).advance(seconds=31)
    assert client.post("/portal/mailbox/code", data=LETTER).status_code == 200


def _finish_letter(app: Flask, iid: int) -> None:
    """The clerks' side, through the engine: valid, one department replies, the mayor publishes."""
    _complete(app, iid, "receive", "mailbox_clerk", {"screening": "valid"})
    _complete(app, iid, "instruct", "mayor_wang", {"handle_depts": ["zjj"]})
    _complete(app, iid, "handle", "zjj_clerk", {"reply": "已责令停止夜间施工"})
    _complete(app, iid, "review", "mayor_wang", {"review": "approve", "publish": True,
                                                  "final_reply": "经核查，已责令工地停止夜间施工并依法处罚。"})


def test_the_writer_reads_the_reply_and_rates_it_once(portal_app: Flask, client: FlaskClient) -> None:
    code, password = _write(client, portal_app)
    assert client.get("/portal/mailbox/letter").status_code == 302  # nothing proved yet
    found = client.post("/portal/mailbox/query", data={"letter_code": code.lower(), "password": password})
    assert found.status_code == 302 and found.headers["Location"].endswith("/portal/mailbox/letter")
    page = _text(client.get("/portal/mailbox/letter"))
    assert 'data-status="new"' in page and LETTER["title"] in page and "评价" not in page
    early = client.post("/portal/mailbox/letter/rate", data={"rating": "5"})
    assert early.status_code == 400 and "「评价」办结后才能评价" in _text(early)
    _finish_letter(portal_app, _letter(portal_app, code).instance_id or 0)
    page = _text(client.get("/portal/mailbox/letter"))
    assert 'data-status="done"' in page and "经核查，已责令工地停止夜间施工并依法处罚。" in page
    assert 'name="rating"' in page
    out_of_range = client.post("/portal/mailbox/letter/rate", data={"rating": "9"})
    assert out_of_range.status_code == 400 and "评分应为 1（很不满意）到 5（很满意）" in _text(out_of_range)
    rated = client.post("/portal/mailbox/letter/rate", data={"rating": "5", "comment": "处理及时"})
    assert rated.headers["Location"].endswith("/portal/mailbox/letter")
    row = _letter(portal_app, code)
    assert row.rating == 5 and row.rating_comment == "处理及时" and row.rated_at is not None
    page = _text(client.get("/portal/mailbox/letter"))
    assert 'data-rating="5"' in page and 'name="rating"' not in page
    twice = client.post("/portal/mailbox/letter/rate", data={"rating": "1"})
    assert twice.status_code == 400 and "已经评价过" in _text(twice)
    _clock(portal_app).advance(minutes=29)
    assert client.get("/portal/mailbox/letter").status_code == 200
    _clock(portal_app).advance(minutes=2)  # the proof lasts half an hour
    assert client.get("/portal/mailbox/letter").status_code == 302
    client.post("/portal/mailbox/query", data={"letter_code": code, "password": password})
    assert client.post("/portal/mailbox/letter/leave").headers["Location"].endswith("/portal/mailbox/query")
    assert client.get("/portal/mailbox/letter").status_code == 302


def test_wrong_passwords_are_throttled_per_code_and_per_address(portal_app: Flask, client: FlaskClient) -> None:
    code, password = _write(client, portal_app)
    wrong = "000000" if password != "000000" else "111111"
    for i in range(5):  # five addresses, one wrong try each: the code itself is now throttled
        refused = client.post("/portal/mailbox/query", data={"letter_code": code, "password": wrong},
                              environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
        assert refused.status_code == 403 and "信件编号或查询密码不正确" in _text(refused)
    throttled = client.post("/portal/mailbox/query", data={"letter_code": code, "password": password},
                            environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert throttled.status_code == 429
    assert "错误次数过多，请 30 分钟后再试" in _text(throttled)
    assert _letter(portal_app, code).failed_checks == 5
    _clock(portal_app).advance(minutes=31)  # the code's failures age out
    for i in range(5):  # one address guessing at codes that do not exist
        guess = client.post("/portal/mailbox/query", data={"letter_code": f"XX2026110200000{i}", "password": wrong},
                            environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert guess.status_code == 403
    other, other_password = _write(client, portal_app, phone="13700137000")
    blocked = client.post("/portal/mailbox/query", data={"letter_code": other, "password": other_password},
                          environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert blocked.status_code == 429  # the address is throttled whatever code it asks about
    ok = client.post("/portal/mailbox/query", data={"letter_code": code, "password": password},
                     environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert ok.status_code == 302


def test_published_replies_are_listed_ten_a_page_without_personal_data(portal_app: Flask,
                                                                         client: FlaskClient) -> None:
    with portal_app.app_context():
        s = db.session()
        for i in range(12):
            s.add(Letter(code=f"XX20261101{i:06d}", password_hash="x", phone="13600136000", category="consult",
                         title=f"公开来信{i:02d}", content="内容", writer_name="王某", folder="done",
                         published=True, reply=f"答复{i:02d}", submitted_at=NOW - timedelta(days=20),
                         finished_at=NOW - timedelta(days=20 - i)))
        s.add(Letter(code="XX20261101999999", password_hash="x", phone="13600136000", category="consult",
                     title="不公开的来信", content="内容", folder="done", published=False, reply="私下答复",
                     submitted_at=NOW, finished_at=NOW))
        s.commit()
    first = _text(client.get("/portal/mailbox/replies"))
    assert first.count('class="box portal-reply"') == 10 and "公开来信11" in first and "公开来信02" in first
    assert "公开来信01" not in first and "不公开的来信" not in first
    assert "13600136000" not in first and "王某" not in first
    assert 'href="/portal/mailbox/replies?page=2"' in first
    second = _text(client.get("/portal/mailbox/replies?page=2"))
    assert second.count('class="box portal-reply"') == 2 and "公开来信00" in second
    assert client.get("/portal/mailbox/replies?page=x").status_code == 200


def test_an_application_with_materials_starts_its_case(portal_app: Flask, client: FlaskClient) -> None:
    done = _apply(client, files=[(PDF, "申请表.pdf"), (PNG, "平面图.png")])
    assert done.status_code == 200
    app_row = _application(portal_app, _number(done))
    assert app_row.status == "submitted" and app_row.id_tail == "ABCD3X" and len(app_row.materials) == 2
    assert app_row.description == APPLY["description"] and app_row.instance_id is not None
    with portal_app.app_context():
        s = db.session()
        files = s.scalars(select(Attachment).where(Attachment.id.in_(app_row.materials))).all()
        assert {f.instance_id for f in files} == {app_row.instance_id}
        assert sorted(f.filename for f in files) == ["平面图.png", "申请表.pdf"]
        assert [t.element_id for t in tasks.open_for_instance(s, app_row.instance_id)] == ["accept"]
        data = instances.current_data(s, instances.get(s, app_row.instance_id), NOW)
        assert data["materials"] == app_row.materials and data["description"] == APPLY["description"]


def _case_clock(app: Flask, iid: int) -> Clock:
    with app.app_context():
        row = db.session.scalar(select(Clock).where(Clock.instance_id == iid, Clock.task_id.is_(None)))
        assert row is not None
        db.session.expunge(row)
        return row


def _look_up(client: FlaskClient, number: str, tail: str = "abcd3x") -> Any:
    return client.post("/portal/licence/query", data={"number": number, "id_tail": tail})


def test_the_applicant_answers_the_supplement_notice_and_the_clock_runs_again(portal_app: Flask,
                                                                               client: FlaskClient) -> None:
    number = _number(_apply(client))
    iid = _application(portal_app, number).instance_id or 0
    due_before = _case_clock(portal_app, iid).due_at
    _clock(portal_app).advance(days=1)
    _complete(portal_app, iid, "accept", "window_clerk", {"acceptance": "supplement", "missing": "缺经营场所平面图"})
    assert _case_clock(portal_app, iid).status == "paused"
    assert _look_up(client, number).status_code == 302
    page = _text(client.get("/portal/licence/application"))
    assert 'data-status="supplement"' in page and "缺经营场所平面图" in page and "补正期间暂停计时" in page
    empty = client.post("/portal/licence/application/supplement", data={"supplement_note": "补交平面图"})
    assert empty.status_code == 400 and "「材料文件」请上传需补正的材料" in _text(empty)
    _clock(portal_app).advance(days=7)  # a week later, 5 working days
    stale = client.post("/portal/licence/application/supplement", data={"supplement_note": "补交平面图"})
    assert stale.headers["Location"].endswith("/portal/licence/query")  # yesterday's proof has lapsed
    assert _look_up(client, number).status_code == 302
    answered = client.post("/portal/licence/application/supplement", content_type="multipart/form-data",
                           data={"supplement_note": "已补交经营场所平面图",
                                 "materials": [_upload(PDF, "经营场所平面图.pdf")]})
    assert answered.headers["Location"].endswith("/portal/licence/application"), _text(answered)
    clock = _case_clock(portal_app, iid)
    assert clock.status == "running" and clock.paused_since is None and clock.due_at - due_before >= timedelta(days=7)
    with portal_app.app_context():
        s = db.session()
        [pause] = clocks.pauses_of(s, s.get(Clock, clock.id))
        assert pause.reason == "补正" and pause.resumed_by == portal.PORTAL_ACTOR
        step = s.scalar(select(HumanTask).where(HumanTask.instance_id == iid, HumanTask.element_id == "supplement"))
        assert step is not None and step.status == "completed" and step.completed_by == portal.PORTAL_ACTOR
        [event] = [e for e in audit.trail(s, iid) if e.action == "complete" and e.element_id == "supplement"]
        assert event.actor == portal.PORTAL_ACTOR and event.detail["on_behalf_of"] == f"申请人 {APPLY['applicant']}"
        assert [t.element_id for t in tasks.open_for_instance(s, iid)] == ["accept"]  # back at the window
        files = s.scalars(select(Attachment).where(Attachment.task_id == step.id)).all()
        assert [f.filename for f in files] == ["经营场所平面图.pdf"] and files[0].instance_id == iid
    app_row = _application(portal_app, number)
    assert app_row.status == "submitted" and len(app_row.materials) == 2
    page = _text(client.get("/portal/licence/application"))
    assert 'data-status="submitted"' in page and "经营场所平面图.pdf" in page and "提交补正材料" not in page
    late = client.post("/portal/licence/application/supplement", content_type="multipart/form-data",
                       data={"supplement_note": "再交一次", "materials": [_upload(PDF, "again.pdf")]})
    assert late.status_code == 409


def test_the_applicant_rates_the_service_once_it_ends(portal_app: Flask, client: FlaskClient) -> None:
    number = _number(_apply(client))
    iid = _application(portal_app, number).instance_id or 0
    assert _look_up(client, number).status_code == 302
    assert 'name="rating"' not in _text(client.get("/portal/licence/application"))
    _complete(portal_app, iid, "accept", "window_clerk",
              {"acceptance": "refuse", "refuse_reason": "不属于本机关职权范围"})
    page = _text(client.get("/portal/licence/application"))
    assert 'data-status="not_accepted"' in page and "不属于本机关职权范围" in page and 'name="rating"' in page
    rated = client.post("/portal/licence/application/rate", data={"rating": "4", "comment": "说明清楚"})
    assert rated.headers["Location"].endswith("/portal/licence/application")
    assert _application(portal_app, number).rating == 4
    twice = client.post("/portal/licence/application/rate", data={"rating": "5"})
    assert twice.status_code == 400 and "「评价」已经评价过" in _text(twice)
    assert client.post("/portal/licence/application/leave").headers["Location"].endswith("/portal/licence/query")
    assert client.get("/portal/licence/application").status_code == 302  # this browser forgot it


def test_application_lookups_are_throttled(portal_app: Flask, client: FlaskClient) -> None:
    number = _number(_apply(client))
    for _ in range(5):
        wrong = _look_up(client, number, "000000")
        assert wrong.status_code == 403 and "申请编号或证件号码后六位不正确" in _text(wrong)
    throttled = _look_up(client, number)
    assert throttled.status_code == 429 and "错误次数过多" in _text(throttled)
    _clock(portal_app).advance(minutes=31)
    assert _look_up(client, number).status_code == 302


def test_a_failing_engine_loses_nothing_and_the_retry_starts_it_later(portal_app: Flask, client: FlaskClient,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("engine down for maintenance")

    monkeypatch.setattr(instances, "start", broken)
    code, password = _write(client, portal_app)
    number = _number(_apply(client, files=[(PDF, "申请表.pdf"), (PNG, "平面图.png")]))
    letter, app_row = _letter(portal_app, code), _application(portal_app, number)
    assert letter.instance_id is None and letter.folder == "pending" and "engine down" in (letter.start_error or "")
    assert app_row.instance_id is None and "RuntimeError" in (app_row.start_error or "")
    with portal_app.app_context():
        s = db.session()
        kept = s.scalars(select(Attachment).where(Attachment.id.in_(app_row.materials))).all()
        assert len(kept) == 2 and all(a.instance_id is None and a.size > 0 for a in kept)
        assert s.scalar(select(func.count()).select_from(Instance)) == 0
        assert portal.pending(s) == [("letter", letter.id), ("application", app_row.id)]
    assert client.post("/portal/mailbox/query", data={"letter_code": code, "password": password}).status_code == 302
    assert 'data-status="pending"' in _text(client.get("/portal/mailbox/letter"))
    runner = portal_app.test_cli_runner()
    still = runner.invoke(args=["portal", "retry"])
    assert still.exit_code == 1 and "0 of 2" in still.output
    monkeypatch.undo()
    retried = runner.invoke(args=["portal", "retry"])
    assert retried.exit_code == 0 and "2 of 2 pending portal submissions started" in retried.output
    letter, app_row = _letter(portal_app, code), _application(portal_app, number)
    assert letter.instance_id and letter.folder == "new" and letter.start_error is None
    assert app_row.instance_id and app_row.start_error is None
    with portal_app.app_context():
        s = db.session()
        assert {a.instance_id for a in s.scalars(select(Attachment))} == {app_row.instance_id}
        assert [t.element_id for t in tasks.open_for_instance(s, letter.instance_id)] == ["receive"]
        assert [t.element_id for t in tasks.open_for_instance(s, app_row.instance_id)] == ["accept"]
        assert portal.pending(s) == []
    assert runner.invoke(args=["portal", "retry"]).output.startswith("0 of 0")


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("title", "长" * 201, "「标题」必填，最多 200 个字"),
    ("content", "x" * 5001, "「来信内容」必填，最多 5000 个字"),
    ("phone", "12345", "「手机号码」请填写 11 位大陆手机号码，例如 13800138000"),
    ("category", "praise", "「来信类别」请选择咨询、建议或投诉"),
    ("writer_name", "名" * 101, "「姓名」最多 100 个字"),
])
def test_hostile_letters_are_refused_naming_the_field(portal_app: Flask, client: FlaskClient, field: str,
                                                      value: str, expected: str) -> None:
    if field != "phone":
        client.post("/portal/mailbox/code", data=LETTER)
    refused = client.post("/portal/mailbox/write", data={**LETTER, field: value, "code": "123456"})
    assert refused.status_code == 400 and expected in _text(refused), re.findall(r"role=\"alert\"[^>]*>([^<]*)", _text(refused))
    assert f'data-field="{field}"' in _text(refused)
    with portal_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Letter)) == 0
        assert db.session.scalar(select(func.sum(OneTimeCode.attempts))) in (None, 0)  # no code was spent


@pytest.mark.parametrize(("changes", "files", "expected"), [
    ({"id_number": "123"}, None, "「身份证号码或统一社会信用代码」请填写 18 位居民身份证号码或统一社会信用代码"),
    ({"applicant": "公司" * 101}, None, "「申请人」必填，填写个人姓名或单位名称，最多 200 个字"),
    ({"phone": "010-1234"}, None, "「手机号码」请填写 11 位大陆手机号码"),
    ({"description": "说" * 2001}, None, "「申请说明」最多 2000 个字"),
    ({}, [(b"MZ\x90\x00", "setup.exe")], "「材料文件」「setup.exe」：此处不接受 .exe 文件，请上传"),
    ({}, [(b"<html><script>", "申请表.pdf")], "「材料文件」「申请表.pdf」的内容与扩展名 .pdf 不符，已拒收"),
    ({}, [(PDF + b"0" * 2048, "大文件.pdf")], "「材料文件」「大文件.pdf」有 2077 字节，超过上限 2048 字节"),
])
def test_hostile_applications_are_refused_naming_the_field(portal_app: Flask, client: FlaskClient,
                                                           changes: dict[str, str],
                                                           files: list[tuple[bytes, str]] | None,
                                                           expected: str) -> None:
    portal_app.config["GOVFLOW_PORTAL_MAX_FILE_BYTES"] = 2048
    refused = _apply(client, files=files, **changes)
    assert refused.status_code == 400 and expected in _text(refused), re.findall(r"role=\"alert\"[^>]*>([^<]*)", _text(refused))
    with portal_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) == 0
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_an_oversize_upload_is_refused_before_it_is_read(portal_app: Flask, client: FlaskClient) -> None:
    portal_app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    refused = _apply(client, files=[(PDF + b"0" * 100 * 1024, "大文件.pdf")])
    assert refused.status_code == 413 and "「材料文件」上传内容过大，一次最多 64 KB" in _text(refused)
    with portal_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_markup_in_a_letter_is_shown_as_text(portal_app: Flask, client: FlaskClient) -> None:
    code, password = _write(client, portal_app, title="<script>alert(1)</script>")
    client.post("/portal/mailbox/query", data={"letter_code": code, "password": password})
    page = _text(client.get("/portal/mailbox/letter"))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_every_portal_form_carries_a_csrf_token_and_posts_without_one_are_refused(portal_app: Flask,
                                                                                  client: FlaskClient) -> None:
    number = _number(_apply(client))
    iid = _application(portal_app, number).instance_id or 0
    _complete(portal_app, iid, "accept", "window_clerk", {"acceptance": "supplement", "missing": "缺平面图"})
    _look_up(client, number)
    for path in ("/portal/mailbox/write", "/portal/mailbox/query", "/portal/licence/apply/catering",
                 "/portal/licence/query", "/portal/licence/application"):
        page = _text(client.get(path))
        forms = page.count('<form method="post"')
        assert forms >= 1 and page.count('name="csrf_token"') == forms, path
    portal_app.config["WTF_CSRF_ENABLED"] = True
    fresh = portal_app.test_client()
    missing = fresh.post("/portal/mailbox/code", data=LETTER)
    assert missing.status_code == 400 and "缺少安全令牌" in _text(missing) and "security token" not in _text(missing)
    fresh.get("/lang/en")  # the English reader gets the English half of the same message
    assert "security token" in _text(fresh.post("/portal/mailbox/code", data=LETTER))
    token = re.search(r'name="csrf_token" value="([^"]+)"', _text(fresh.get("/portal/mailbox/write")))
    assert token
    assert fresh.post("/portal/mailbox/code", data={**LETTER, "csrf_token": token.group(1)}).status_code == 200
