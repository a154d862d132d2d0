"""Portal intake in the engine: kept submissions start once, failures are noted, and only a case that
waits for 补正 takes the applicant's answer."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.core.errors import Conflict, InvalidInput
from engine.core.models import AuditEvent
from engine.gov import licensing, portal
from engine.gov.models import Letter
from engine.org.models import Notification
from tests.processes.conftest import Gov, gov  # noqa: F401  (the fixture)

APPLICANT = {"matter_code": "catering", "applicant": "某某小吃店", "id_number": "110101199003071234",
             "phone": "13900139000"}
PDF = b"%PDF-1.4\n"


def test_a_kept_submission_starts_once_and_a_failure_is_noted(gov: Gov) -> None:  # noqa: F811
    gov.deploy("licence_joint.bpmn")
    files = [("申请表.pdf", PDF)]
    app = portal.receive_application(gov.session, gov.now, files, **APPLICANT)
    assert app.instance_id is None and portal.pending(gov.session) == [("application", app.id)]
    portal.note_start_failure(gov.session, gov.now, "application", app.id, "RuntimeError: boom")
    assert app.start_error == "RuntimeError: boom"
    [event] = gov.session.scalars(select(AuditEvent).where(AuditEvent.action == "portal_start_failed")).all()
    assert event.actor == portal.PORTAL_ACTOR and event.detail["reference"] == app.number
    assert portal.start_pending(gov.session, gov.now, "application", app.id) is True
    assert app.instance_id is not None and app.start_error is None and portal.pending(gov.session) == []
    assert portal.start_pending(gov.session, gov.now, "application", app.id) is False  # never twice
    with pytest.raises(InvalidInput):
        portal.kept(gov.session, "parcel", 1)


def test_only_a_case_waiting_for_materials_takes_the_applicants_answer(gov: Gov) -> None:  # noqa: F811
    gov.deploy("licence_joint.bpmn")
    app = licensing.submit(gov.session, gov.now, **APPLICANT)
    with pytest.raises(Conflict):
        portal.answer_supplement(gov.session, gov.now, app, [("a.pdf", PDF)], "补交")
    iid = app.instance_id or 0
    gov.complete(iid, "accept", "window_clerk", {"acceptance": "supplement", "missing": "缺平面图"})
    with pytest.raises(InvalidInput) as caught:
        portal.answer_supplement(gov.session, gov.now, app, [("a.pdf", PDF)], "")
    assert caught.value.field == "supplement_note"
    with pytest.raises(InvalidInput) as caught:
        portal.answer_supplement(gov.session, gov.now, app, [("a.exe", b"MZ")], "补交平面图")
    assert caught.value.field == "file"
    portal.answer_supplement(gov.session, gov.now, app, [("平面图.pdf", PDF)], "补交平面图")
    assert [t.element_id for t in gov.open_tasks(iid)] == ["accept"] and app.status == "submitted"
    assert gov.data(iid)["supplement_note"] == "补交平面图" and len(gov.data(iid)["materials"]) == 1


def test_a_letter_needs_its_code_and_waits_for_its_start(gov: Gov) -> None:  # noqa: F811
    gov.deploy("mayor_mailbox.bpmn")
    letter = {"phone": "13800138000", "category": "consult", "title": "咨询", "content": "公积金怎么提取？"}
    portal.send_letter_code(gov.session, gov.now, letter["phone"])
    body = gov.session.scalar(select(Notification.body).where(Notification.channel == "sms"))
    match = re.search(r"\d{6}", body or "")
    assert match
    with pytest.raises(InvalidInput) as caught:
        portal.receive_letter(gov.session, gov.now, "x", **letter)
    assert caught.value.field == "code"
    assert gov.session.scalar(select(func.count()).select_from(Letter)) == 0
    sent = portal.receive_letter(gov.session, gov.now, match.group(0), **letter)
    assert sent.letter.folder == "pending" and sent.letter.instance_id is None
    assert portal.start_pending(gov.session, gov.now, "letter", sent.letter.id)
    assert sent.letter.folder == "new" and [t.element_id for t in gov.open_tasks(sent.letter.instance_id or 0)] \
        == ["receive"]


def test_each_scheduler_tick_starts_what_is_pending_and_notes_failures(databases, monkeypatch) -> None:
    from engine.calendar import workdays
    from engine.clocks.policies import seed_policies
    from engine.core.db import make_sessionmaker
    from engine.flow import definitions, instances
    from engine.gov.models import Application
    from engine.org import demo as demo_org
    from tests.conftest import NOW
    from webapp.demo import PROCESSES_DIR

    sessions = make_sessionmaker(databases.engine())
    with sessions.begin() as session:
        seed_policies(session)
        workdays.seed_official(session, NOW)
        demo_org.seed_org(session)
        bpmn = PROCESSES_DIR / "licence_joint.bpmn"
        definitions.deploy(session, "admin", NOW, [(bpmn.name, bpmn.read_bytes())])
        ident = portal.receive_application(session, NOW, [("申请表.pdf", PDF)], **APPLICANT).id

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine down")

    monkeypatch.setattr(instances, "start", broken)
    assert portal.retry_pending(sessions, NOW) == (0, 1)
    with sessions() as session:
        kept = session.get(Application, ident)
        assert kept is not None and kept.instance_id is None and "engine down" in (kept.start_error or "")
    monkeypatch.undo()
    assert portal.retry_pending(sessions, NOW) == (1, 0)
    assert portal.retry_pending(sessions, NOW) == (0, 0)
    with sessions() as session:
        started = session.get(Application, ident)
        assert started is not None and started.instance_id is not None and started.start_error is None
