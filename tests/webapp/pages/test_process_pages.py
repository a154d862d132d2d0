"""Every step of the shipped processes renders its form for the person who holds it, diagram included."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from lxml import etree
from sqlalchemy import select

from engine.flow import tasks
from engine.flow.models import HumanTask
from engine.gov import mailbox
from engine.org import demo as demo_org
from tests.conftest import NOW
from webapp import demo
from webapp.extensions import db


def test_every_user_task_names_a_form_that_exists() -> None:
    for bpmn in sorted(demo.PROCESSES_DIR.glob("*.bpmn")):
        tree = etree.fromstring(bpmn.read_bytes())
        for task in tree.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask"):
            element, key = task.get("id"), task.get("{http://camunda.org/schema/1.0/bpmn}formKey")
            if key is None:  # a plain confirmation step (the sample leave process's 备案)
                assert bpmn.name == "leave_request.bpmn", f"{bpmn.name}: user task {element} names no form"
                continue
            path = demo.PROCESSES_DIR.parent / "forms" / f"{key}.json"
            assert path.exists(), f"{bpmn.name}: {element} names form {key}, which does not exist"
            assert json.loads(path.read_text("utf-8"))["key"] == key


def test_demo_task_pages_render_for_their_holders(app: Flask, as_user: Any) -> None:
    with app.app_context():
        session = db.session()
        demo.seed(session, NOW)
        session.commit()
        open_rows = [(row.id, row.element_id, row.instance_id, holder) for row in session.scalars(select(HumanTask).where(HumanTask.status == "open"))
                     if (holder := next((p.username for p in demo_org.people()
                                         if tasks.may_work(session, row, p.username) and p.username != "admin"),
                                        None))]
    seen = set()
    for task_id, element, instance_id, holder in open_rows:
        client = as_user(holder)
        page = client.get(f"/inbox/tasks/{task_id}")
        assert page.status_code == 200, (element, holder)
        assert 'name="csrf_token"' in page.text or "<form" in page.text
        if element == "accept":  # a multiple department picker: it must offer the departments
            picker = re.search(r'<select[^>]*name="review_depts".*?</select>', page.text, re.S)
            assert picker and '<option value="scjg"' in picker.group(0), "the department picker lists nothing"
        seen.add(element)
        shown = client.get(f"/instances/{instance_id}")
        assert shown.status_code == 200 and "bpmn-diagram" in shown.text
    assert {"receive", "accept", "supplement", "review", "countersign", "sign_off", "handle", "sign_in"} <= seen
    with app.app_context():
        letter = mailbox.published(db.session())[0]
        assert re.fullmatch(r"XX\d{14}", letter.code)
