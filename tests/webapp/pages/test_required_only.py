"""Every step of the demo's cases accepts a form with only its required fields filled, through the inbox.

Clerks leave optional fields empty all the time; a process that needs an optional value at a later
gateway, loop or expression fails there (a 422 on someone else's desk). Each pass submits, for every
open task of the shipped processes, the smallest valid form as its first holder would; the cases must
keep moving until every one has ended.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.flow import forms, instances, tasks
from engine.flow.models import HumanTask, Instance
from engine.org import directory as org
from engine.org.models import User
from tests.conftest import NOW
from webapp import demo
from webapp.extensions import db

SHIPPED = {"document_incoming", "document_outgoing", "licence_joint", "mayor_mailbox", "leave_request"}
MAX_PASSES = 40


def _required(field: forms.Field, values: dict[str, Any]) -> bool:
    if field.required:
        return True
    return bool(field.required_if) and all(
        str(values.get(k)) == str(v) for k, v in (field.required_if or {}).items())


def _value(session: Any, field: forms.Field) -> Any:
    """The first value a clerk could pick or type for the field."""
    if field.choices:
        return str(field.choices[0]["value"])
    if field.type == "date":
        return str(field.min or "2026-11-20")[:10]
    if field.type == "number":
        return str(field.min if field.min is not None else 1)
    if field.type == "department":
        return "zjj"
    if field.type == "user":
        members = org.group_members(session, field.group) if field.group else []
        return members[0].username if members else "lisi"
    return "已阅，按规定办理"


def _smallest_form(session: Any, row: HumanTask) -> dict[str, Any]:
    definition = forms.find_form(demo.PROCESSES_DIR.parent / "forms", row.form_key) if row.form_key else None
    if definition is None:
        return {"opinion_text": "同意"}
    values: dict[str, Any] = {}
    for field in definition.fields:  # in order, so a required_if sees the choice it depends on
        if not field.readonly and field.type != "file" and _required(field, values):
            values[field.name] = _value(session, field)
    return values


def _holder(session: Any, row: HumanTask) -> str | None:
    people = session.scalars(select(User.username).order_by(User.username)).all()
    return next((name for name in people if name != "admin" and tasks.may_work(session, row, name)), None)


def test_every_demo_case_runs_to_its_end_with_required_fields_only(app: Flask, as_user: Any) -> None:
    with app.app_context():
        session = db.session()
        demo.seed(session, NOW)
        instances.start(session, "szfb_clerk", NOW, "document_outgoing", {})  # a fresh draft, from its first step
        session.commit()
    seen: set[str] = set()
    for _ in range(MAX_PASSES):
        with app.app_context():
            session = db.session()
            work = [(row.id, row.name, row.form_key, _holder(session, row), _smallest_form(session, row))
                    for row in session.scalars(select(HumanTask).join(Instance, Instance.id == HumanTask.instance_id)
                                               .where(HumanTask.status == "open", Instance.status == "running",
                                                      Instance.process_id.in_(SHIPPED)).order_by(HumanTask.id))]
        if not work:
            break
        for task_id, name, form_key, holder, form in work:
            assert holder, f"nobody in the demo organisation may work {name} ({task_id})"
            page = as_user(holder).post(f"/inbox/tasks/{task_id}/complete", data=form, follow_redirects=True)
            assert page.status_code == 200 and 'class="flash error"' not in page.text, \
                (name, form_key, holder, form, page.status_code, page.text[-1500:])
            seen.add(form_key or name)
    with app.app_context():
        stuck = db.session().scalars(select(Instance.id).where(Instance.status == "running",
                                                               Instance.process_id.in_(SHIPPED))).all()
    assert not stuck, f"cases still running after {MAX_PASSES} passes: {stuck}"
    every_form = {path.stem for path in (demo.PROCESSES_DIR.parent / "forms").glob("*.json")}
    assert sorted(every_form - seen) == ["doc_read"], "only 传阅 is left out: nobody is named to read"
