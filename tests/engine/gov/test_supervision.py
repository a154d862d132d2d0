"""督办单 issued, replied to, closed and overdue, and 催办 by clock, each refused where it must be."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks import lifecycle as clocks
from engine.clocks.models import Clock
from engine.clocks.policies import seed_policies
from engine.core import audit
from engine.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.flow import definitions, instances, tasks
from engine.gov import supervision
from engine.org import demo as demo_org
from engine.org import directory as org
from engine.org import notify
from engine.org.models import Notification

PROCESSES = Path(__file__).resolve().parents[3] / "processes"


@dataclass
class Case:
    instance_id: int
    task_id: str
    clock_id: int


@pytest.fixture
def case(session: Session, now: datetime) -> Case:
    """A leave request waiting at the head's review, with a 7-working-day step clock held by li."""
    seed_policies(session)
    workdays.seed_official(session, now)
    demo_org.seed_org(session)
    for name, groups in [("zhang", ["clerk"]), ("li", ["dept_head"]), ("wang", [])]:
        org.create_user(session, name, groups=groups, department="szfb", email=f"{name}@example.gov.cn")
    definitions.deploy(session, "admin", now, [("leave_request.bpmn", (PROCESSES / "leave_request.bpmn").read_bytes())])
    inst = instances.start(session, "zhang", now, "leave_request", {"days": 2}, title="张三请假两天")
    [apply] = tasks.open_for_instance(session, inst.id)
    tasks.complete(session, "zhang", now, apply.id, {"days": 2, "reason": "探亲"})
    [review] = tasks.open_for_instance(session, inst.id)
    clock = clocks.start_clock(session, None, now, "countersign_reply", instance_id=inst.id, task_id=review.id,
                               element_id=review.element_id, responsible="li", department_code="szfb")
    return Case(inst.id, review.id, clock.id)


def _issue(session: Session, now: datetime, case: Case, **kwargs: object) -> supervision.SupervisionOrder:
    values: dict[str, object] = {"demand": "请于期限内办结并书面报告", "due_date": date(2026, 11, 6),
                                 "clock_id": case.clock_id, "addressee": "li"}
    values.update(kwargs)
    return supervision.issue_order(session, "supervisor", now, **values)  # type: ignore[arg-type]


def test_an_order_names_its_case_and_step_and_counts_its_deadline_in_working_days(session: Session, now: datetime,
                                                                                  case: Case) -> None:
    # NOW is Monday 2 November 2026; Saturday 7 November moves to Monday 9 November, 5 working days out.
    order = _issue(session, now, case, due_date=date(2026, 11, 7), link=lambda i: f"https://gov.example/o/{i}")
    assert (order.instance_id, order.task_id, order.clock_id) == (case.instance_id, case.task_id, case.clock_id)
    assert order.addressee == "li" and order.addressee_department is None and order.status == supervision.OPEN
    assert order.due_at == datetime(2026, 11, 9, 16, 0) and order.due_days == 5
    [note] = [n for n in notify.list_inapp(session, "li") if n.kind == "supervision_order"]
    assert "请于期限内办结并书面报告" in note.body and f"https://gov.example/o/{order.id}" in note.body
    assert "2026年11月09日" in note.body and note.instance_id == case.instance_id
    assert session.scalar(select(Notification.id).where(Notification.recipient == "li@example.gov.cn")) is not None
    [event] = [e for e in audit.trail(session, case.instance_id) if e.action == "supervision_order"]
    assert event.actor == "supervisor" and event.detail["order"] == order.id and event.opinion == order.demand


def test_an_order_to_a_department_goes_to_its_head(session: Session, now: datetime, case: Case) -> None:
    order = _issue(session, now, case, addressee="", department="fgw")
    assert (order.addressee, order.addressee_department) == ("fgw_leader", "fgw")
    assert [n.subject for n in notify.list_inapp(session, "fgw_leader")] == ["【督办单】张三请假两天"]
    org.ensure_department(session, "empty", "无人部门")
    with pytest.raises(InvalidInput) as headless:
        _issue(session, now, case, addressee=None, department="empty")
    assert headless.value.field == "department"


@pytest.mark.parametrize(("change", "field"), [
    ({"demand": "  "}, "demand"), ({"demand": "催" * 4001}, "demand"),
    ({"due_date": None}, "due_date"), ({"due_date": date(2026, 11, 2)}, "due_date"),
    ({"due_date": date(2026, 10, 30)}, "due_date"), ({"due_date": date(2028, 1, 4)}, "due_date"),
    ({"addressee": "nobody"}, "addressee"), ({"addressee": None}, "addressee"),
    ({"addressee": "supervisor"}, "addressee"), ({"clock_id": None}, "instance_id"),
])
def test_issuing_refuses_bad_input_naming_the_field(session: Session, now: datetime, case: Case,
                                                    change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _issue(session, now, case, **change)
    assert refused.value.field == field and " / " in str(refused.value)  # Chinese / English


def test_only_supervisors_and_leaders_issue_orders_and_clocks_must_exist(session: Session, now: datetime,
                                                                         case: Case) -> None:
    with pytest.raises(Forbidden):
        supervision.issue_order(session, "zhang", now, demand="催一下", due_date=date(2026, 11, 6),
                                clock_id=case.clock_id, addressee="li")
    with pytest.raises(NotFound):
        _issue(session, now, case, clock_id=999_999)
    by_mayor = supervision.issue_order(session, "mayor_wang", now, demand="请抓紧", due_date=date(2026, 11, 6),
                                       instance_id=case.instance_id, addressee="li")
    assert by_mayor.clock_id is None and by_mayor.instance_id == case.instance_id
    assert supervision.may_supervise(session, "admin") and not supervision.may_supervise(session, "li")


def test_the_addressee_replies_and_the_issuer_closes(session: Session, now: datetime, case: Case) -> None:
    order = _issue(session, now, case)
    with pytest.raises(NotFound):
        supervision.reply_order(session, "wang", now, order.id, "与我无关")  # a stranger learns nothing
    with pytest.raises(Forbidden):
        supervision.reply_order(session, "mayor_wang", now, order.id, "代为回复")  # sees it, may not reply
    with pytest.raises(InvalidInput) as empty:
        supervision.reply_order(session, "li", now, order.id, " ")
    assert empty.value.field == "reply"
    later = now + timedelta(days=1)
    supervision.reply_order(session, "li", later, order.id, "已审批完毕")
    assert (order.status, order.reply, order.replied_by) == (supervision.REPLIED, "已审批完毕", "li")
    assert [n.kind for n in notify.list_inapp(session, "supervisor")] == ["supervision_order"]
    with pytest.raises(Conflict):
        supervision.reply_order(session, "li", later, order.id, "再回复一次")
    with pytest.raises(Forbidden):
        supervision.close_order(session, "li", later, order.id, "我自己办结")
    supervision.close_order(session, "supervisor", later, order.id)
    assert (order.status, order.closed_by, order.close_note) == (supervision.CLOSED, "supervisor", None)
    with pytest.raises(Conflict):
        supervision.close_order(session, "supervisor", later, order.id, "again")
    actions = [e.action for e in audit.trail(session, case.instance_id)]
    assert actions[-3:] == ["supervision_order", "supervision_reply", "supervision_close"]


def test_closing_an_unanswered_order_needs_a_reason(session: Session, now: datetime, case: Case) -> None:
    order = _issue(session, now, case)
    with pytest.raises(InvalidInput) as refused:
        supervision.close_order(session, "supervisor", now, order.id, "")
    assert refused.value.field == "note"
    supervision.close_order(session, "mayor_wang", now, order.id, "事项已由会议研究解决")
    assert order.status == supervision.CLOSED and order.closed_by == "mayor_wang"


def test_an_order_past_its_deadline_is_overdue_and_a_late_reply_is_still_taken(session: Session, now: datetime,
                                                                                 case: Case) -> None:
    order = _issue(session, now, case, due_date=date(2026, 11, 3))
    assert supervision.effective_status(order, datetime(2026, 11, 3, 15, 59)) == supervision.OPEN
    after = datetime(2026, 11, 3, 16, 0)  # midnight in China: the last day has ended
    assert supervision.effective_status(order, after) == supervision.OVERDUE
    assert supervision.mark_overdue(session, after - timedelta(minutes=1)) == []
    assert supervision.mark_overdue(session, after) == [order] and order.status == supervision.OVERDUE
    assert supervision.mark_overdue(session, after + timedelta(days=1)) == []  # told once
    told = session.scalars(select(Notification.recipient).where(Notification.subject.like("【督办超期】%"),
                                                               Notification.channel == notify.INAPP)).all()
    assert sorted(told) == ["li", "supervisor"]
    supervision.reply_order(session, "li", after + timedelta(days=1), order.id, "已办结，迟复致歉")
    assert order.status == supervision.REPLIED
    [event] = [e for e in audit.trail(session, case.instance_id) if e.action == "supervision_reply"]
    assert event.detail["late"] is True


def test_urging_a_step_clock_reaches_its_holder_once_an_hour(session: Session, now: datetime, case: Case) -> None:
    assert supervision.urge_clock(session, "supervisor", now, case.clock_id, "请尽快审批") == ["li"]
    [note] = [n for n in notify.list_inapp(session, "li") if n.kind == "urge"]
    assert note.body == "请尽快审批"
    with pytest.raises(Conflict):
        supervision.urge_clock(session, "supervisor", now + timedelta(minutes=30), case.clock_id)
    assert supervision.urge_clock(session, "supervisor", now + timedelta(minutes=61), case.clock_id) == ["li"]
    with pytest.raises(NotFound):
        supervision.urge_clock(session, "supervisor", now, 999_999)


def test_urging_a_case_clock_reaches_every_open_step_and_an_ended_clock_nobody(session: Session, now: datetime,
                                                                              case: Case) -> None:
    case_clock = clocks.start_clock(session, None, now, "mailbox_letter", instance_id=case.instance_id,
                                    responsible="zhang", department_code="szfb")
    assert supervision.urge_clock(session, "supervisor", now, case_clock.id) == ["li"]
    clocks.finish_clock(session, None, now, case_clock)
    with pytest.raises(Conflict):
        supervision.urge_clock(session, "supervisor", now, case_clock.id)
    step = session.get(Clock, case.clock_id)
    assert step is not None and step.active


def test_strangers_do_not_learn_that_an_order_exists(session: Session, now: datetime, case: Case) -> None:
    order = _issue(session, now, case)
    assert supervision.visible_order(session, "li", order.id) is order
    assert supervision.visible_order(session, "mayor_wang", order.id) is order
    for who in ("wang", "zhang"):
        with pytest.raises(NotFound):
            supervision.visible_order(session, who, order.id)
    with pytest.raises(NotFound):
        supervision.get_order(session, order.id + 1)
    assert supervision.default_due_date(session, now) == date(2026, 11, 9)
