"""The mailbox folders in the inbox and the page where a clerk starts a new case."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.flow import definitions, tasks
from engine.flow.models import HumanTask, Instance
from engine.gov import mailbox
from engine.gov.models import Letter
from tests.conftest import NOW
from webapp import demo
from webapp.extensions import db
from webapp.inbox import mailbox_queries

ROOT = Path(__file__).resolve().parents[3]
NAMES = {"todo": "待办理", "handling": "流程追踪", "new": "未处理", "rejected": "不予受理", "done": "审理完成",
         "recycle": "回收站", "copies": "抄送夹", "all": "全部来信"}


def _seed_demo(app: Flask) -> None:
    """Every shipped process deployed, with the demo's letters, applications and documents."""
    with app.app_context():
        demo.seed(db.session(), NOW)
        db.session.commit()


def _count(page: str, folder: str) -> int:
    found = re.search(rf'data-folder="{folder}">.*?<span class="count">(\d+)</span>', page, re.S)
    assert found, folder
    return int(found.group(1))


def _total(page: str) -> int:
    found = re.search(r'<table class="list" data-total="(\d+)"', page)
    assert found
    return int(found.group(1))


def _letters(page: str) -> list[str]:
    return re.findall(r'<tr data-letter="([^"]+)">', page)


def test_every_folder_of_the_engine_has_a_tab_in_the_clerks_order() -> None:
    order = mailbox_queries.ORDER
    assert order[0] == "todo" and order[-2:] == ("copies", "all") and set(order[1:-2]) == set(mailbox.FOLDERS)
    assert set(NAMES) == set(mailbox_queries.ORDER)
    assert {k: NAMES[k] for k in mailbox.FOLDERS} == mailbox.FOLDERS


def test_mailbox_staff_see_every_folder_with_counts(app: Flask, as_user: Any) -> None:
    _seed_demo(app)
    clerk = as_user("mailbox_clerk")
    assert 'data-tab="mailbox"' in clerk.get("/inbox/").text
    page = clerk.get("/inbox/mailbox").text
    for folder, name in NAMES.items():
        assert re.search(rf'data-folder="{folder}">\s*{name} <span class="count">', page), folder
    assert _count(page, "todo") == 2  # the two letters waiting to be signed for and screened
    assert _count(page, "recycle") == 1 and _count(page, "rejected") == 1 and _count(page, "done") == 1
    assert _count(page, "new") == 2 and _count(page, "handling") == 2 and _count(page, "all") == 7
    for folder in NAMES:
        shown = clerk.get(f"/inbox/mailbox?folder={folder}").text
        assert _total(shown) == _count(page, folder) == len(_letters(shown)), folder
    recycle = clerk.get("/inbox/mailbox?folder=recycle").text
    assert "低息贷款" in recycle and "学校周边交通拥堵" not in recycle
    found = clerk.get("/inbox/mailbox?folder=all&q=公交").text
    assert "建议增设公交线路" in found and "低息贷款" not in found and _total(found) == 1
    with app.app_context():
        code = mailbox.published(db.session())[0].code
    assert _letters(clerk.get(f"/inbox/mailbox?folder=all&q={code.lower()}").text) == [code]
    assert clerk.get("/inbox/mailbox?folder=nonsense").status_code == 404


def test_a_row_opens_the_step_waiting_for_the_user_or_else_the_case(app: Flask, as_user: Any) -> None:
    _seed_demo(app)
    clerk = as_user("mailbox_clerk")
    todo = clerk.get("/inbox/mailbox?folder=todo").text
    links = re.findall(r'href="/inbox/tasks/([^"]+)" data-task="\1"', todo)
    assert len(links) == 2
    with app.app_context():
        for task_id in links:
            row = db.session().get(HumanTask, task_id)
            assert row is not None and row.element_id == "receive" and row.status == "open"
            assert tasks.may_work(db.session(), row, "mailbox_clerk")
    assert clerk.get(f"/inbox/tasks/{links[0]}").status_code == 200
    done = clerk.get("/inbox/mailbox?folder=done").text
    with app.app_context():
        letter = db.session().scalars(select(Letter).where(Letter.folder == "done")).one()
    assert f'href="/instances/{letter.instance_id}"' in done and "data-task=" not in done
    assert clerk.get(f"/instances/{letter.instance_id}").status_code == 200


def test_folders_page_through_many_letters(app: Flask, as_user: Any) -> None:
    _seed_demo(app)
    with app.app_context():
        for n in range(23):
            mailbox.submit_letter(db.session(), NOW + timedelta(minutes=n), phone="13800138000", category="suggest",
                                  title=f"批量来信{n:02d}", content="内容")
        db.session.commit()
    clerk = as_user("mailbox_clerk")
    first = clerk.get("/inbox/mailbox?folder=all").text
    assert _count(first, "all") == 30 and _total(first) == 30 and len(_letters(first)) == 20
    assert "批量来信22" in first and "咨询公积金提取条件" not in first  # newest first
    second = clerk.get("/inbox/mailbox?folder=all&page=2").text
    assert len(_letters(second)) == 10 and "咨询公积金提取条件" in second and "批量来信22" not in second
    assert not set(_letters(first)) & set(_letters(second))
    filtered = clerk.get("/inbox/mailbox?folder=todo&q=批量来信").text
    assert _total(filtered) == 23 and len(_letters(filtered)) == 20 and "page=2" in filtered
    assert len(_letters(clerk.get("/inbox/mailbox?folder=todo&q=批量来信&page=2").text)) == 3
    assert clerk.get("/inbox/mailbox?folder=all&page=x").status_code == 200


def test_a_department_clerk_sees_only_their_letters(app: Flask, as_user: Any) -> None:
    _seed_demo(app)
    dept = as_user("zjj_clerk")
    assert 'data-tab="mailbox"' in dept.get("/inbox/").text
    page = dept.get("/inbox/mailbox").text
    assert re.findall(r'data-folder="(\w+)"', page) == ["todo", "copies"]
    assert "建议增设公交线路" in page and "低息贷款" not in page  # handed to 住建局 by the vice mayor
    with app.app_context():
        handle = db.session().scalars(select(HumanTask).where(
            HumanTask.element_id == "handle", HumanTask.status == "open")).all()
    mine = [t.id for t in handle if t.candidates and any(c.value == "zjj_clerk" for c in t.candidates)]
    assert len(mine) == 1 and f'data-task="{mine[0]}"' in page
    for folder in ("all", "new", "recycle", "done"):
        assert dept.get(f"/inbox/mailbox?folder={folder}").status_code == 404, folder


def test_people_without_letters_get_no_folders_until_one_is_copied_to_them(app: Flask, as_user: Any) -> None:
    _seed_demo(app)
    designer = as_user("designer")
    assert 'data-tab="mailbox"' not in designer.get("/inbox/").text
    refused = designer.get("/inbox/mailbox")
    assert refused.status_code == 403 and "来信经办人员" in refused.text
    assert as_user("zhang").get("/inbox/mailbox").status_code == 403
    clerk = as_user("mailbox_clerk")
    task_id = re.findall(r'data-task="([^"]+)"', clerk.get("/inbox/mailbox?folder=todo&q=噪音").text)[0]
    assert clerk.post(f"/inbox/tasks/{task_id}/copy", data={"recipients": "designer", "note": "请阅"}).status_code == 302
    page = designer.get("/inbox/mailbox?folder=copies").text
    assert re.findall(r'data-folder="(\w+)"', page) == ["todo", "copies"]
    assert _count(page, "copies") == 1 and "小区夜间施工噪音扰民" in page and _count(page, "todo") == 0
    assert designer.get("/inbox/mailbox?folder=all").status_code == 404


def test_start_a_case_and_land_on_its_first_step(app: Flask, as_user: Any) -> None:
    _seed_demo(app)
    clerk = as_user("szfb_clerk")
    assert 'data-tab="start"' in clerk.get("/inbox/").text
    with app.app_context():
        before = len(db.session().scalars(select(Instance.id)).all())
    page = clerk.get("/inbox/start").text
    assert 'data-process="document_outgoing"' in page and 'data-process="leave_request"' in page
    for elsewhere in ("mayor_mailbox", "licence_joint", "document_incoming"):
        assert f'data-process="{elsewhere}"' not in page
        refused = clerk.post("/inbox/start", data={"process_id": elsewhere, "title": "x"})
        assert refused.status_code == 403 and "不能在工作台发起" in refused.text, elsewhere
    missing = clerk.post("/inbox/start", data={"process_id": "document_outgoing", "title": " "})
    assert missing.status_code == 400 and "请填写标题" in missing.text
    long = clerk.post("/inbox/start", data={"process_id": "document_outgoing", "title": "长" * 201})
    assert long.status_code == 400 and "title" in long.text and 'value="' + "长" * 201 in long.text
    unknown = clerk.post("/inbox/start", data={"process_id": "no_such", "title": "x"})
    assert unknown.status_code == 404 and "no_such" in unknown.text
    with app.app_context():
        assert len(db.session().scalars(select(Instance.id)).all()) == before  # nothing refused was started
    started = clerk.post("/inbox/start", data={"process_id": "document_outgoing", "title": "关于某事的通知"})
    assert started.status_code == 302 and "/inbox/tasks/" in started.headers["Location"]
    draft = clerk.get(started.headers["Location"]).text
    assert 'name="doc_type"' in draft and "关于某事的通知" in draft
    with app.app_context():
        inst = db.session().scalars(select(Instance).where(Instance.title == "关于某事的通知")).one()
        assert (inst.process_id, inst.started_by, inst.status) == ("document_outgoing", "szfb_clerk", "running")
        [task] = tasks.open_for_instance(db.session(), inst.id)
        assert task.element_id == "draft" and started.headers["Location"].endswith(task.id)


def test_start_offers_the_latest_version_and_lands_on_the_case_when_the_step_is_not_mine(
        app: Flask, as_user: Any) -> None:
    zhang = as_user("zhang")
    leave = zhang.post("/inbox/start", data={"process_id": "leave_request", "title": "张三请假"})
    assert "/inbox/tasks/" in leave.headers["Location"]
    assert 'name="days"' in zhang.get(leave.headers["Location"]).text  # the request form, for the starter
    bpmn = (ROOT / "processes" / "leave_request.bpmn").read_text("utf-8")
    office_first = bpmn.replace('camunda:assignee="${initiator}"', 'camunda:candidateGroups="office"')
    with app.app_context():
        definitions.deploy(db.session(), "admin", NOW, [("leave_request.bpmn", office_first.encode())])
        db.session.commit()
    page = zhang.get("/inbox/start").text
    assert page.count('data-process="leave_request"') == 1 and re.search(r"<td[^>]*>v2</td>", page) and not re.search(r"<td[^>]*>v1</td>", page)
    started = zhang.post("/inbox/start", data={"process_id": "leave_request", "title": "张三再请假"})
    with app.app_context():
        inst = db.session().scalars(select(Instance).where(Instance.title == "张三再请假")).one()
        assert inst.process_version.version == 2
    assert started.headers["Location"].endswith(f"/instances/{inst.id}")
    assert zhang.get(started.headers["Location"]).status_code == 200
    assert app.test_client().post("/inbox/start", data={"process_id": "leave_request", "title": "x"}).status_code == 302
