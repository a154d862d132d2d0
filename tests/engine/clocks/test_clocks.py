"""Statutory clocks on the official 2026 calendar: due dates, pauses, extensions, warnings, BPMN hooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks import lifecycle as clocks
from engine.clocks.models import Clock, ClockPolicy
from engine.clocks.policies import configure_policy, seed_policies
from engine.core import audit
from engine.core.clock import CHINA_TZ
from engine.core.errors import Conflict, InvalidInput
from engine.core.models import AuditEvent
from engine.flow import definitions, instances, tasks
from engine.flow.models import HumanTask
from engine.org import directory as org
from engine.org import notify
from engine.org.models import Notification

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn"


def at(y: int, m: int, d: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment given in China time, as the aware UTC value services take."""
    return datetime(y, m, d, hour, minute, tzinfo=CHINA_TZ).astimezone(UTC)


def due_day(clock: Clock) -> date:
    """The China-time day the clock is due (its due_at is the midnight ending that day)."""
    local = clock.due_at.replace(tzinfo=UTC).astimezone(CHINA_TZ)
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
    return local.date() - timedelta(days=1)


@pytest.fixture
def world(session: Session, now: datetime) -> Session:
    """Policies, the official calendar, and a clerk whose supervisor is the section chief."""
    seed_policies(session)
    workdays.seed_official(session, now)
    boss = org.create_user(session, "boss", email="boss@example.gov.cn", department="xzsp", display_name="科长")
    clerk = org.create_user(session, "clerk", email="clerk@example.gov.cn", department="xzsp")
    clerk.supervisor_id = boss.id
    org.create_user(session, "head", department="office", display_name="局长")
    org.create_user(session, "registrar", department="window")
    session.flush()
    return session


def _deploy(session: Session, name: str) -> None:
    path = FIXTURES / name
    definitions.deploy(session, "designer", at(2026, 9, 1), [(path.name, path.read_bytes())])


def _start(session: Session, policy: str, when: datetime, **kwargs: object) -> Clock:
    return clocks.start_clock(session, "registrar", when, policy, responsible="clerk", **kwargs)  # type: ignore[arg-type]


def test_policies_are_seeded_once_with_their_legal_basis(world: Session, now: datetime) -> None:
    assert seed_policies(world) == []
    decision = world.get(ClockPolicy, "xk_decision")
    assert decision is not None
    assert (decision.unit, decision.limit_days, decision.max_extension_days, decision.extension_once) == (
        "wd", 20, 10, True)
    assert "第四十二条" in decision.legal_basis
    notice = world.get(ClockPolicy, "xk_supplement_notice")
    assert notice is not None and notice.on_expiry == {"message": "deemed_accepted"}
    reply = world.get(ClockPolicy, "gk_reply")
    assert reply is not None and reply.restart_on_supplement and reply.max_extension_days == 20
    assert {p for p in world.scalars(select(ClockPolicy.code))} >= {
        "xk_joint", "xf_handling", "mailbox_letter", "countersign_reply", "duban"}
    # The mailbox limit is a local rule: configurable, and a later seed keeps the configuration.
    configure_policy(world, "admin", now, "mailbox_letter", limit_days=10)
    seed_policies(world)
    assert world.get(ClockPolicy, "mailbox_letter").limit_days == 10  # type: ignore[union-attr]
    with pytest.raises(InvalidInput, match="unit"):
        configure_policy(world, "admin", now, "mailbox_letter", unit="hours")


def test_twenty_working_days_before_national_day_land_after_it(world: Session) -> None:
    # Accepted Mon 2026-09-21: 中秋 (9-25..27) and 国庆 (10-1..7) do not count, the make-up
    # Saturday 10-10 does: the 20th working day is Mon 2026-10-26.
    clock = _start(world, "xk_decision", at(2026, 9, 21, 10))
    assert due_day(clock) == date(2026, 10, 26)
    assert not clock.provisional
    assert (clock.status, clock.warning_level, clock.active) == ("running", "none", True)
    # Yellow when 4 of 20 days are left (80 % used beats "2 days left"): after the 16th working day.
    assert clock.warn_at.replace(tzinfo=UTC).astimezone(CHINA_TZ) == datetime(2026, 10, 21, tzinfo=CHINA_TZ)
    assert clock.next_check_at == clock.warn_at
    assert "第四十二条" in clock.legal_basis


def test_pause_across_the_holiday_moves_the_due_date(world: Session) -> None:
    clock = _start(world, "xk_decision", at(2026, 9, 21, 10))
    clocks.pause_clock(world, "clerk", at(2026, 9, 30, 15), clock.id, "专家评审", "组织专家评审")
    assert (clock.status, clock.next_check_at) == ("paused", None)
    with pytest.raises(Conflict, match="already paused"):
        clocks.pause_clock(world, "clerk", at(2026, 10, 8), clock.id, "听证")
    clocks.resume_clock(world, "clerk", at(2026, 10, 9, 9), clock.id)
    # Excluded: the working days 9-30 and 10-8 (the holiday was not counting anyway).
    assert due_day(clock) == date(2026, 10, 28)
    assert clock.status == "running" and clock.next_check_at is not None
    events = world.scalars(select(AuditEvent).where(AuditEvent.action.like("clock_%"))).all()
    assert [e.action for e in events][-3:] == ["clock_start", "clock_pause", "clock_resume"]
    assert events[-1].detail["reason"] == "专家评审" and events[-1].actor == "clerk"


def test_only_reasons_the_law_excludes_may_pause(world: Session) -> None:
    clock = _start(world, "xk_decision", at(2026, 9, 21, 10))
    with pytest.raises(InvalidInput, match="专家评审"):
        clocks.pause_clock(world, "clerk", at(2026, 9, 22), clock.id, "领导出差")
    with pytest.raises(Conflict, match="not paused"):
        clocks.resume_clock(world, "clerk", at(2026, 9, 22), clock.id)


def test_extension_by_ten_then_a_second_one_is_refused(world: Session) -> None:
    clock = _start(world, "xk_decision", at(2026, 9, 21, 10))
    with pytest.raises(Conflict, match="at most 10"):
        clocks.extend_clock(world, "clerk", at(2026, 10, 19), clock.id, 11, "情况复杂", "head")
    with pytest.raises(InvalidInput, match="approver"):
        clocks.extend_clock(world, "clerk", at(2026, 10, 19), clock.id, 10, "情况复杂", "nobody")
    clocks.extend_clock(world, "clerk", at(2026, 10, 19), clock.id, 10, "情况复杂，需现场核查", "head")
    assert clock.extended_days == 10
    assert due_day(clock) == date(2026, 11, 9)
    with pytest.raises(Conflict, match="only once"):
        clocks.extend_clock(world, "clerk", at(2026, 11, 2), clock.id, 1, "再次延长", "head")
    with pytest.raises(Conflict, match="allows no extension"):
        clocks.extend_clock(world, "clerk", at(2026, 10, 1), _start(world, "countersign_reply",
                                                                    at(2026, 9, 21)).id, 1, "x", "head")


def test_information_disclosure_restarts_after_supplement_and_extends_twice(world: Session) -> None:
    clock = _start(world, "gk_reply", at(2026, 11, 2, 10))
    assert due_day(clock) == date(2026, 11, 30)
    clocks.pause_clock(world, "clerk", at(2026, 11, 4), clock.id, "补正", "申请内容不明确")
    clocks.resume_clock(world, "clerk", at(2026, 11, 16), clock.id)
    # Art. 30: the 20 working days count again from the day the corrected application arrived.
    assert due_day(clock) == date(2026, 12, 14)
    clocks.extend_clock(world, "clerk", at(2026, 12, 1), clock.id, 5, "需征求第三方意见", "head")
    clocks.extend_clock(world, "clerk", at(2026, 12, 2), clock.id, 15, "第三方意见未回复", "head")
    with pytest.raises(Conflict, match="at most 20"):
        clocks.extend_clock(world, "clerk", at(2026, 12, 3), clock.id, 1, "x", "head")


def test_a_pause_without_restart_only_moves_the_due_date(world: Session) -> None:
    clock = _start(world, "xk_decision", at(2026, 11, 2, 10))
    clocks.pause_clock(world, "clerk", at(2026, 11, 4), clock.id, "补正")
    clocks.resume_clock(world, "clerk", at(2026, 11, 16), clock.id)
    # 11-30 plus the eight working days 11-4 .. 11-13.
    assert due_day(clock) == date(2026, 12, 10)


def test_year_end_runs_into_a_provisional_2027(world: Session) -> None:
    clock = _start(world, "xk_decision", at(2026, 12, 10))
    assert due_day(clock).year == 2027
    assert clock.provisional is True


def test_calendar_day_policy_with_one_extension(world: Session) -> None:
    clock = _start(world, "xf_handling", at(2026, 9, 1))
    # 60 calendar days end on Sat 10-31; a limit ending on a rest day moves to the next working day.
    assert due_day(clock) == date(2026, 11, 2)
    clocks.extend_clock(world, "clerk", at(2026, 10, 20), clock.id, 30, "情况复杂", "head")
    assert due_day(clock) == date(2026, 11, 30)
    with pytest.raises(Conflict, match="only once"):
        clocks.extend_clock(world, "clerk", at(2026, 10, 21), clock.id, 1, "x", "head")


def test_duban_deadline_is_set_by_a_person(world: Session) -> None:
    with pytest.raises(InvalidInput, match="督办"):
        _start(world, "duban", at(2026, 11, 2))
    clock = _start(world, "duban", at(2026, 11, 2), due_date=date(2026, 11, 20))
    assert due_day(clock) == date(2026, 11, 20)
    clocks.set_deadline(world, "boss", at(2026, 11, 3), clock.id, date(2026, 11, 13), "领导要求提前")
    assert due_day(clock) == date(2026, 11, 13)
    with pytest.raises(InvalidInput, match="before"):
        clocks.set_deadline(world, "boss", at(2026, 11, 3), clock.id, date(2026, 10, 1))
    statutory = _start(world, "xk_decision", at(2026, 11, 2))
    with pytest.raises(Conflict, match="set by law"):
        clocks.set_deadline(world, "boss", at(2026, 11, 3), statutory.id, date(2026, 12, 31))


def _instance_clocks(session: Session, instance_id: int) -> dict[str | None, Clock]:
    rows = session.scalars(select(Clock).where(Clock.instance_id == instance_id)).all()
    return {row.element_id: row for row in rows}


def _open_task(session: Session, instance_id: int, element: str) -> HumanTask:
    return next(t for t in tasks.open_for_instance(session, instance_id) if t.element_id == element)


def test_bpmn_step_and_case_clocks_finish_on_time_and_late(world: Session) -> None:
    _deploy(world, "clock_review.bpmn")
    inst = instances.start(world, "registrar", at(2026, 9, 21, 10), "clock_review", {"title": "营业执照申请"})
    found = _instance_clocks(world, inst.id)
    assert set(found) == {"start", "decide"}
    step, case = found["decide"], found["start"]
    assert (step.policy_code, step.responsible, step.department_code) == ("xk_decision", "clerk", "xzsp")
    assert step.task_id == _open_task(world, inst.id, "decide").id
    assert due_day(step) == date(2026, 10, 26)
    assert (case.policy_code, case.task_id, case.unit) == ("mailbox_letter", None, "cd")
    assert due_day(case) == date(2026, 10, 8)  # 15 days end in the 国庆 holiday: next working day
    tasks.complete(world, "clerk", at(2026, 10, 23, 16), _open_task(world, inst.id, "decide").id, {})
    assert (step.status, step.active, step.used_working_days) == ("finished_on_time", False, 19)
    assert case.active  # the case clock runs until the instance ends
    tasks.complete(world, "clerk", at(2026, 10, 27), _open_task(world, inst.id, "archive").id, {})
    assert inst.status == "completed"
    assert (case.status, case.active, case.next_check_at) == ("finished_late", False, None)


def test_a_late_step_finishes_late(world: Session) -> None:
    _deploy(world, "clock_review.bpmn")
    inst = instances.start(world, "registrar", at(2026, 9, 21, 10), "clock_review", {"title": "许可"})
    tasks.complete(world, "clerk", at(2026, 10, 27, 9), _open_task(world, inst.id, "decide").id, {})
    step = _instance_clocks(world, inst.id)["decide"]
    assert (step.status, step.used_working_days) == ("finished_late", 21)


def test_cancelling_the_case_cancels_its_clocks(world: Session) -> None:
    _deploy(world, "clock_review.bpmn")
    inst = instances.start(world, "registrar", at(2026, 9, 21, 10), "clock_review", {"title": "许可"})
    instances.cancel(world, "registrar", at(2026, 9, 22), inst.id, "申请人撤回")
    assert {c.status for c in _instance_clocks(world, inst.id).values()} == {"cancelled"}


def _notes(session: Session, clock: Clock) -> list[tuple[str, str, str]]:
    rows = session.scalars(select(Notification).where(Notification.clock_id == clock.id)
                           .order_by(Notification.id)).all()
    return [(n.recipient, n.channel, n.kind) for n in rows]


def test_warnings_escalate_yellow_then_red_and_notify_person_and_supervisor(world: Session) -> None:
    _deploy(world, "clock_review.bpmn")
    inst = instances.start(world, "registrar", at(2026, 9, 21, 10), "clock_review", {"title": "营业执照申请"})
    step = _instance_clocks(world, inst.id)["decide"]
    assert step.id not in clocks.due_clock_ids(world, at(2026, 10, 20, 12))
    # The scheduler finds the clock once its next check has come.
    assert step.id in clocks.due_clock_ids(world, at(2026, 10, 21))
    clocks.check_clock(world, at(2026, 10, 21), step.id)
    assert (step.warning_level, step.status) == ("yellow", "warned")
    assert step.next_check_at == step.due_at
    assert _notes(world, step) == [("clerk", "inapp", "clock_yellow"), ("clerk@example.gov.cn", "email", "clock_yellow"),
                                   ("boss", "inapp", "clock_yellow"), ("boss@example.gov.cn", "email", "clock_yellow")]
    # A check with nothing new notifies no one again.
    clocks.check_clock(world, at(2026, 10, 22), step.id)
    assert len(_notes(world, step)) == 4
    clocks.check_clock(world, at(2026, 10, 27, 0, 1), step.id)
    assert (step.warning_level, step.status, step.next_check_at) == ("red", "overdue", None)
    assert _notes(world, step)[4:] == [("clerk", "inapp", "clock_red"), ("clerk@example.gov.cn", "email", "clock_red"),
                                       ("boss", "inapp", "clock_red"), ("boss@example.gov.cn", "email", "clock_red")]
    red = notify.list_inapp(world, "boss")[0]
    assert red.subject.startswith("【红牌超期】营业执照申请") and "第四十二条" in red.body
    assert notify.unread_count(world, "clerk") == 2
    levels = [e.detail["to"] for e in audit.trail(world, inst.id) if e.action == "clock_level"]
    assert levels == ["yellow", "red"]


def test_an_extension_clears_a_yellow_card(world: Session) -> None:
    clock = _start(world, "xk_decision", at(2026, 9, 21, 10))
    clocks.check_clock(world, at(2026, 10, 21), clock.id)
    assert clock.warning_level == "yellow"
    clocks.extend_clock(world, "clerk", at(2026, 10, 21, 10), clock.id, 10, "情况复杂", "head")
    assert (clock.warning_level, clock.status) == ("none", "running")


def test_supplement_notice_not_sent_in_time_means_accepted(world: Session) -> None:
    _deploy(world, "clock_supplement.bpmn")
    inst = instances.start(world, "registrar", at(2026, 11, 2), "clock_supplement", {"title": "食品经营许可"})
    clock = _instance_clocks(world, inst.id)["notice"]
    assert due_day(clock) == date(2026, 11, 9)
    assert clock.responsible == "registrar"  # no assignee: the recorded candidate (the starter)
    clocks.check_clock(world, at(2026, 11, 10, 0, 5), clock.id)
    assert (clock.status, clock.active, clock.warning_level) == ("expired", False, "red")
    assert [t.element_id for t in tasks.open_for_instance(world, inst.id)] == ["accepted"]
    expiry = [e for e in audit.trail(world, inst.id) if e.action == "clock_expiry"]
    assert expiry[0].detail["message"] == "deemed_accepted" and expiry[0].detail["delivered"] is True
    assert "message" in [e.action for e in audit.trail(world, inst.id)]


def test_a_supplement_notice_in_time_finishes_the_clock(world: Session) -> None:
    _deploy(world, "clock_supplement.bpmn")
    inst = instances.start(world, "registrar", at(2026, 11, 2), "clock_supplement", {"title": "食品经营许可"})
    tasks.complete(world, "registrar", at(2026, 11, 4), _open_task(world, inst.id, "notice").id, {})
    clock = _instance_clocks(world, inst.id)["notice"]
    assert (clock.status, clock.used_working_days) == ("finished_on_time", 2)
    assert inst.status == "completed"


def test_a_calendar_change_recomputes_running_clocks(world: Session) -> None:
    clock = _start(world, "xk_decision", at(2026, 9, 21, 10))
    finished = _start(world, "xk_decision", at(2026, 9, 21, 10))
    clocks.finish_clock(world, "clerk", at(2026, 9, 22), finished)
    before = finished.due_at
    workdays.set_day(world, "admin", at(2026, 10, 1), date(2026, 10, 23), False, "临时放假")
    assert due_day(clock) == date(2026, 10, 27)
    assert finished.due_at == before
    recomputes = world.scalars(select(AuditEvent).where(AuditEvent.action == "clock_recompute")).all()
    assert [e.detail["clock_id"] for e in recomputes] == [clock.id]


def test_the_responsible_person_follows_the_task_holder(world: Session) -> None:
    admin = org.create_user(world, "duty_admin", groups=["admin"], email="duty@example.gov.cn")
    _deploy(world, "clock_supplement.bpmn")
    inst = instances.start(world, "registrar", at(2026, 11, 2), "clock_supplement", {"title": "食品经营许可"})
    clock = _instance_clocks(world, inst.id)["notice"]
    tasks.claim(world, admin.username, at(2026, 11, 3), _open_task(world, inst.id, "notice").id)
    clocks.check_clock(world, at(2026, 11, 9, 8), clock.id)  # 1 of 5 days left: yellow
    assert (clock.warning_level, clock.responsible) == ("yellow", "duty_admin")
    assert _notes(world, clock) == [("duty_admin", "inapp", "clock_yellow"),
                                    ("duty@example.gov.cn", "email", "clock_yellow")]


def test_an_unknown_policy_is_recorded_and_the_case_goes_on(world: Session) -> None:
    xml = (FIXTURES / "clock_review.bpmn").read_text().replace('value="xk_decision"', 'value="no_such_limit"')
    definitions.deploy(world, "designer", at(2026, 9, 1), [("bad_clock.bpmn", xml.encode())])
    inst = instances.start(world, "registrar", at(2026, 9, 21), "clock_review", {"title": "许可"})
    assert set(_instance_clocks(world, inst.id)) == {"start"}
    skipped = [e for e in audit.trail(world, inst.id) if e.action == "clock_skipped"]
    assert skipped[0].element_id == "decide" and "no_such_limit" in skipped[0].detail["reason"]
    assert [t.element_id for t in tasks.open_for_instance(world, inst.id)] == ["decide"]


def test_a_process_without_clocks_costs_no_clock_query(world: Session) -> None:
    xml = (FIXTURES / "clock_review.bpmn").read_text()
    for name in ("case_clock", "clock"):
        xml = xml.replace(f'name="{name}"', f'name="unrelated_{name}"')
    definitions.deploy(world, "designer", at(2026, 9, 1), [("plain.bpmn", xml.encode())])
    inst = instances.start(world, "registrar", at(2026, 9, 21), "clock_review", {"title": "许可"})
    statements: list[str] = []
    engine = world.get_bind()
    listen = sqlalchemy_event(engine, statements)
    try:
        tasks.complete(world, "clerk", at(2026, 9, 22), _open_task(world, inst.id, "decide").id, {})
    finally:
        listen()
    assert statements and not any(" clock" in s.lower() for s in statements)
    assert _instance_clocks(world, inst.id) == {}


def sqlalchemy_event(engine: object, statements: list[str]) -> Callable[[], None]:
    """Record every statement sent until the returned function is called."""
    from sqlalchemy import event

    def before(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    return lambda: event.remove(engine, "before_cursor_execute", before)
