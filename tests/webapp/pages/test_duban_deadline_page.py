"""The case page lets the instructing leader give one handling department its own 督办 date."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.clocks.models import Clock
from engine.flow import definitions, instances, tasks
from engine.flow.models import HumanTask
from tests.conftest import NOW
from tests.webapp.pages.conftest import ROOT
from webapp.extensions import db


def _instructed(app: Flask) -> tuple[int, dict[str, int]]:
    """An incoming document sent by the leader to 住建局 and 市场监管局, both by 20 November."""
    with app.app_context():
        s = db.session()
        definitions.deploy(s, "admin", NOW, [("document_incoming.bpmn",
                                              (ROOT / "processes" / "document_incoming.bpmn").read_bytes())])
        iid = instances.start(s, None, NOW, "document_incoming", {
            "title": "关于开展安全生产大检查的通知", "unit": "szfb", "kind": "main", "urgency": "特急"}).id
        for element, who, data in [("sign_in", "szfb_clerk", {}), ("register", "szfb_clerk", {}),
                                   ("propose", "szfb_head", {"proposal": "handle"}),
                                   ("instruct", "szfb_leader", {"handle_depts": ["zjj", "scjg"],
                                                                "handle_due": "2026-11-20", "readers": []})]:
            row = s.scalars(select(HumanTask).where(HumanTask.instance_id == iid, HumanTask.status == "open",
                                                    HumanTask.element_id == element)).one()
            tasks.complete(s, who, NOW, row.id, data)
        s.commit()
        return iid, {c.department_code or "": c.id for c in s.scalars(
            select(Clock).where(Clock.instance_id == iid, Clock.element_id == "handle"))}


def _due_cell(page: str, clock_id: int) -> str:
    row = re.search(rf'<tr[^>]*data-clock="{clock_id}".*?</tr>', page, re.S)
    assert row, f"clock {clock_id} is not on the page"
    cell = re.search(r"<td data-due[^>]*>(.*?)</td>", row.group(0))
    assert cell
    return cell.group(1)


def test_the_leader_changes_one_departments_date_and_the_page_shows_both(app: Flask, as_user: Any) -> None:
    iid, clocks = _instructed(app)
    leader = as_user("szfb_leader")
    page = leader.get(f"/instances/{iid}").text
    assert page.count('class="inline deadline"') == 2, "a form on each department's running 督办 clock"
    assert re.search(r'data-department="zjj"[^>]*>市住房和城乡建设局', page), "each clock names its department"
    assert len(re.findall(r'<td data-element="handle"[^>]*>承办</td>', page)) == 2, "the step by its name"
    assert page.count('data-status="running">计时中') == 2
    before = _due_cell(page, clocks["scjg"])
    done = leader.post(f"/instances/{iid}/clocks/{clocks['zjj']}/deadline",
                       data={"due_date": "2026-11-13", "reason": "住建局牵头，须先报初步意见"}, follow_redirects=True)
    assert done.status_code == 200 and "督办时限已调整" in done.text
    assert "2026-11-13" not in before and _due_cell(done.text, clocks["zjj"]) == "2026-11-13", \
        "due at the end of the 13th, China time, shown as the 13th (as the CLI and the notices say it)"
    assert _due_cell(done.text, clocks["scjg"]) == before, "the other department keeps its date"
    assert 'data-action="clock_deadline"' in done.text


def test_a_bad_date_or_missing_reason_is_named_and_changes_nothing(app: Flask, as_user: Any) -> None:
    iid, clocks = _instructed(app)
    leader = as_user("szfb_leader")
    before = _due_cell(leader.get(f"/instances/{iid}").text, clocks["zjj"])
    for form, field in [({"due_date": "11/13", "reason": "提前"}, "新截止日期"),
                        ({"due_date": "2026-11-13", "reason": " "}, "调整原因")]:
        page = leader.post(f"/instances/{iid}/clocks/{clocks['zjj']}/deadline", data=form, follow_redirects=True)
        assert page.status_code == 200 and re.search(rf'class="flash error"[^>]*>[^<]*{field}', page.text), field
        assert _due_cell(page.text, clocks["zjj"]) == before


def test_the_handling_clerk_sees_no_form_and_is_refused(app: Flask, as_user: Any) -> None:
    iid, clocks = _instructed(app)
    clerk = as_user("zjj_clerk")
    page = clerk.get(f"/instances/{iid}")
    assert page.status_code == 200 and 'class="inline deadline"' not in page.text
    refused = clerk.post(f"/instances/{iid}/clocks/{clocks['zjj']}/deadline",
                         data={"due_date": "2026-12-31", "reason": "想多要些时间"})
    assert refused.status_code == 403
    outsider = as_user("zhang")  # may not see the case at all: no hint it exists
    assert outsider.post(f"/instances/{iid}/clocks/{clocks['zjj']}/deadline",
                         data={"due_date": "2026-12-31", "reason": "x"}).status_code == 404
    assert as_user("szfb_leader").post(f"/instances/{iid + 1}/clocks/{clocks['zjj']}/deadline",
                                       data={"due_date": "2026-12-31", "reason": "x"}).status_code == 404
