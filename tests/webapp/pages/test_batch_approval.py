"""批量审批 from 待办: several steps of one kind approved with one opinion, each in its own transaction;
the result page says per step what happened, and a step someone else did first is reported, not lost."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from engine.core import audit
from engine.flow import instances, tasks
from tests.conftest import NOW
from webapp.extensions import db


def _reviews(app: Flask, count: int) -> tuple[list[int], list[str]]:
    with app.app_context():
        session = db.session()
        ids, reviews = [], []
        for n in range(count):
            inst = instances.start(session, "zhang", NOW, "leave_request", {"days": n + 1}, title=f"请假{n + 1}")
            [apply] = tasks.open_for_instance(session, inst.id)
            tasks.complete(session, "zhang", NOW, apply.id, {"days": n + 1, "reason": "事假"})
            [review] = tasks.open_for_instance(session, inst.id)
            ids.append(inst.id)
            reviews.append(review.id)
        session.commit()
        return ids, reviews


def test_several_reviews_are_approved_with_one_opinion(app: Flask, as_user: Any) -> None:
    ids, reviews = _reviews(app, 3)
    head = as_user("li")
    todo = head.get("/inbox/").text
    assert all(f'name="task_id" value="{r}" form="batch"' in todo for r in reviews) and 'id="batch"' in todo
    done = head.post("/inbox/batch", data={"task_id": reviews, "opinion": "同意，注意安全"})
    assert done.status_code == 200
    assert re.findall(r'data-result="(\w+)"', done.text) == ["done", "done", "done"]
    assert 'data-done="3" data-total="3"' in done.text
    with app.app_context():
        session = db.session()
        for iid in ids:
            [event] = [e for e in audit.trail(session, iid) if e.action == "complete" and e.actor == "li"]
            assert event.opinion == "同意，注意安全"
            data = instances.current_data(session, instances.get(session, iid), NOW)
            assert data["approved"] is True
            assert [t.element_id for t in tasks.open_for_instance(session, iid)] == ["record"]


def test_a_step_done_by_someone_else_first_is_reported_and_the_rest_go_through(app: Flask, as_user: Any) -> None:
    ids, reviews = _reviews(app, 2)
    with app.app_context():  # another head approves the first one meanwhile
        session = db.session()
        tasks.complete(session, "admin", NOW, reviews[0], {"approved": False}, "不同意")
        session.commit()
    done = as_user("li").post("/inbox/batch", data={"task_id": reviews, "opinion": "同意"})
    assert re.findall(r'data-result="(\w+)"', done.text) == ["conflict", "done"]
    assert "已被他人处理" in done.text


def test_steps_of_different_kinds_are_not_approved_together(app: Flask, as_user: Any) -> None:
    ids, reviews = _reviews(app, 1)
    with app.app_context():
        session = db.session()
        other = instances.start(session, "li", NOW, "leave_request", {"days": 1})
        [apply] = tasks.open_for_instance(session, other.id)
        session.commit()
        apply_id = apply.id
    refused = as_user("li").post("/inbox/batch", data={"task_id": [reviews[0], apply_id], "opinion": "同意"})
    assert refused.status_code == 400 and "请勾选同一环节的待办事项" in refused.text
    with app.app_context():
        assert [t.element_id for t in tasks.open_for_instance(db.session(), ids[0])] == ["head_review"]  # nothing done
