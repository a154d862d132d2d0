"""Forms read from BPMN files, in the inbox: rendered by the form macros, validated by the server,
stored as case data, exactly like the shipped forms."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.flow import instances, tasks
from engine.flow.models import Instance
from engine.org import directory as org
from tests.conftest import CONFORMANCE_DIR
from webapp.extensions import db

EXTRA = Path(__file__).resolve().parents[2] / "conformance" / "extra"


def deploy(client: Any, *names: str) -> None:
    files = [(BytesIO((EXTRA / n).read_bytes()), n) for n in names]
    response = client.post("/designer/deploy", data={"files": files}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]


def open_task(app: Flask, instance_id: int) -> str:
    with app.app_context():
        [row] = tasks.open_for_instance(db.session(), instance_id)
        return row.id


def start(app: Flask, process_id: str, who: str, data: dict[str, Any] | None = None) -> int:
    with app.app_context():
        session = db.session()
        if org.find_user(session, who) is None:
            org.create_user(session, who, groups=["office"], department="szfb")
        inst = instances.start(session, who, app.config["GOVFLOW_CLOCK"].now(), process_id, data or {})
        session.commit()
        return inst.id


def test_a_camunda_form_data_task_renders_validates_and_stores(app: Flask, as_user: Any) -> None:
    deploy(as_user("designer"), "camunda_form_data.bpmn")
    case = start(app, "camunda_form_data", "zhang")
    task_id = open_task(app, case)
    client = as_user("zhang")
    page = client.get(f"/inbox/tasks/{task_id}").get_data(as_text=True)
    for label in ("申请人姓名", "用车天数", "用车事由", "出发日期", "需要驾驶员", "意见"):
        assert label in page
    assert 'name="applicant_name"' in page and 'name="trip_days"' in page and 'max="10"' in page
    assert re.search(r'<option value="meeting"\s*>会议</option>', page)
    refused = client.post(f"/inbox/tasks/{task_id}/complete", data={"trip_days": "30", "purpose": "meeting"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "「申请人姓名」为必填项" in text and "「用车天数」应在 1 到 10 之间" in text
    done = client.post(f"/inbox/tasks/{task_id}/complete",
                       data={"applicant_name": "张三", "trip_days": "5", "purpose": "meeting", "needDriver": "true",
                             "opinion": "下周一出发"})
    assert done.status_code == 302
    office = open_task(app, case)
    review = as_user("wang").get(f"/inbox/tasks/{office}").get_data(as_text=True)
    assert re.search(r'class="readonly" id="f-applicant_name">张三<', review), "shown read-only, as the form says"
    assert "下周一出发" in review, "the opinion is on the case's trail"
    with app.app_context():
        data = instances.current_data(db.session(), instances.get(db.session(), case), app.config["GOVFLOW_CLOCK"].now())
    assert (data["applicant_name"], data["trip_days"], data["needDriver"], data["purpose"]) == ("张三", 5, True, "meeting")


def test_a_generic_form_asks_what_the_gateway_reads(app: Flask, as_user: Any) -> None:
    with app.app_context():
        for name in ("hr_clerk",):
            org.create_user(db.session(), name, groups=["hr"], department="szfb")
        db.session.commit()
    deploy(as_user("designer"), "leave_rules.dmn", "leave_with_decisions.bpmn")
    case = start(app, "leave_with_decisions", "zhang", {"days": 12, "leaveKind": "sick", "years": 1})
    task_id = open_task(app, case)
    page = as_user("hr_clerk").get(f"/inbox/tasks/{task_id}").get_data(as_text=True)
    assert 'name="days"' in page and 'value="12"' in page and 'name="allowance"' not in page
    assert as_user("hr_clerk").post(f"/inbox/tasks/{task_id}/complete", data={"days": "4"}).status_code == 302
    with app.app_context():
        inst = instances.get(db.session(), case)
        assert inst.status == "completed"


@pytest.mark.skipif(not CONFORMANCE_DIR.is_dir(), reason="conformance corpus not present")
def test_a_start_form_of_the_file_is_asked_when_a_case_is_started(app: Flask, as_user: Any) -> None:
    name = "aia_purchase-subprocess_caigou.bpmn"  # Activiti: the start event's form properties
    client = as_user("designer")
    files = {"files": [(BytesIO((CONFORMANCE_DIR / "approval" / name).read_bytes()), name)]}
    assert client.post("/designer/deploy", data=files, content_type="multipart/form-data").status_code == 302
    asked = client.post("/inbox/start", data={"process_id": "purchase-subprocess", "title": "采购打印纸"})
    assert asked.status_code == 302 and "/inbox/start/purchase-subprocess" in asked.headers["Location"]
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "到货期限" in page and "物品清单" in page and "总金额" in page and 'value="采购打印纸"' in page
    missing = client.post("/inbox/start/purchase-subprocess", data={"title": "采购打印纸", "listing": "打印纸"})
    assert missing.status_code == 400 and "「总金额」为必填项" in missing.get_data(as_text=True)
    started = client.post("/inbox/start/purchase-subprocess",
                          data={"title": "采购打印纸", "dueDate": "2026-12-01", "listing": "打印纸", "amountMoney": "800"})
    assert started.status_code == 302
    case = int(started.headers["Location"].rstrip("/").rsplit("/", 1)[-1]) if "/instances/" in \
        started.headers["Location"] else None
    with app.app_context():
        session = db.session()
        inst = session.scalar(select(Instance).where(Instance.process_id == "purchase-subprocess"))
        assert case in (None, inst.id) and inst.title == "采购打印纸"
        data = instances.current_data(session, inst, app.config["GOVFLOW_CLOCK"].now())
    assert (data["dueDate"], data["listing"], data["amountMoney"]) == ("2026-12-01", "打印纸", 800)
