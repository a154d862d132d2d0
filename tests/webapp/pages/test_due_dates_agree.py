"""One due date, said the same way everywhere: the portal, the case page, the task page and
`govflow clocks list` all name the last day of the limit (it expires at the end of that day), and a
limit that runs into a year the State Council has not published yet is marked as provisional."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.clocks.models import Clock
from engine.core.clock import CHINA_TZ
from engine.flow import definitions, tasks
from engine.gov import licensing
from webapp.extensions import db

PROCESSES = Path(__file__).resolve().parents[3] / "processes"
LATE_IN_THE_YEAR = datetime(2026, 12, 14, 9, tzinfo=CHINA_TZ).astimezone(UTC)  # 45 working days reach 2027


def _application(app: Flask, when: datetime) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A licence application submitted at `when`: its number and case, its case clock, the first step."""
    app.config["GOVFLOW_CLOCK"].set(when)
    with app.app_context():
        session = db.session()
        definitions.deploy(session, "admin", when, [("licence_joint.bpmn", (PROCESSES / "licence_joint.bpmn").read_bytes())])
        submitted = licensing.submit(session, when, actor="zwfw_clerk", matter_code="catering", applicant="某某餐饮",
                                     id_number="91110000MA01ABCD3X", phone="13900139000")
        clock = session.scalar(select(Clock).where(Clock.instance_id == submitted.instance_id,
                                                   Clock.task_id.is_(None)))
        assert clock is not None
        [accept] = tasks.open_for_instance(session, submitted.instance_id or 0)
        found = ({"number": submitted.number, "instance_id": submitted.instance_id},
                 {"id": clock.id, "due_at": clock.due_at, "provisional": clock.provisional}, accept.id)
        session.commit()
        return found


def _last_day(clock: dict[str, Any]) -> str:
    return (clock["due_at"].replace(tzinfo=UTC) - timedelta(microseconds=1)).astimezone(CHINA_TZ).strftime("%Y-%m-%d")


def test_portal_case_page_task_page_and_cli_name_the_same_last_day(app: Flask, as_user: Any) -> None:
    submitted, clock, accept = _application(app, LATE_IN_THE_YEAR)
    day, clock_id = _last_day(clock), clock["id"]
    assert day.startswith("2027-") and clock["provisional"]
    citizen = app.test_client()
    citizen.post("/portal/licence/query", data={"number": submitted["number"], "id_tail": "abcd3x"})
    portal = citizen.get("/portal/licence/application").get_data(as_text=True)
    shown = re.search(r"<span data-due>办结期限 ([\d-]+)（([^）]*)）</span>", portal)
    assert shown and shown.group(1) == day and "尚未公布" in shown.group(2)
    case = as_user("window_clerk").get(f"/instances/{submitted['instance_id']}").get_data(as_text=True)
    row = re.search(rf'<tr[^>]*data-clock="{clock_id}".*?<td data-due[^>]*>([\d-]+)(.*?)</td>', case, re.S)
    assert row and row.group(1) == day and "暂定" in row.group(2)
    task = as_user("window_clerk").get(f"/inbox/tasks/{accept}").get_data(as_text=True)
    assert f"截止 {day}" in task
    cli = app.test_cli_runner().invoke(args=["clocks", "list", "--status", "active"])
    line = next(text for text in cli.output.splitlines() if text.startswith(f"{clock_id} "))
    assert f"due {day} (end of day) [provisional]" in line


def test_a_limit_inside_a_published_year_is_not_provisional_anywhere(app: Flask, as_user: Any) -> None:
    submitted, clock, _ = _application(app, datetime(2026, 9, 1, 9, tzinfo=CHINA_TZ).astimezone(UTC))
    assert not clock["provisional"]
    citizen = app.test_client()
    citizen.post("/portal/licence/query", data={"number": submitted["number"], "id_tail": "abcd3x"})
    portal = citizen.get("/portal/licence/application").get_data(as_text=True)
    assert f"办结期限 {_last_day(clock)}</span>" in portal and "尚未公布" not in portal
