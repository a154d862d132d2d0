"""Element properties acting on case clocks, composite candidate groups, built-in services and deputies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks.models import Clock, ClockPause
from engine.clocks.policies import seed_policies
from engine.core import audit
from engine.core.errors import ExecutionError, Forbidden, InvalidInput
from engine.flow import definitions, instances, services, tasks
from engine.org import deputies
from engine.org import directory as org

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn"
CALLS: list[services.ServiceCall] = []


@services.register("test_stamp")
def _stamp(call: services.ServiceCall) -> dict[str, object]:
    CALLS.append(call)
    if call.data.get("explode"):
        raise ExecutionError("the register is closed", element_id=call.element_id)
    return {"stamp": f"{call.properties['prefix']}-{call.instance.id}", "stamped_by": call.actor}


@pytest.fixture
def world(session: Session, now: datetime) -> Session:
    seed_policies(session)
    workdays.seed_official(session, now)
    for name, groups, dept in [("clerk", ["fgw_clerk"], "fgw"), ("head", ["fgw_head"], "fgw"),
                               ("other", ["scjg_clerk"], "scjg"), ("leader", ["fgw_leader"], "fgw"),
                               ("deputy", [], "fgw"), ("admin", ["admin"], "szfb")]:
        org.create_user(session, name, groups=groups, department=dept)
    batch = [("case_actions.bpmn", (FIXTURES / "case_actions.bpmn").read_bytes())]
    definitions.deploy(session, "admin", now, batch)
    CALLS.clear()
    return session


def at(day: int, month: int = 11, hour: int = 9) -> datetime:
    """A moment of 2026 in China time, as UTC."""
    return datetime(2026, month, day, hour - 8, 0, tzinfo=UTC)


def _task(session: Session, instance_id: int, element: str) -> str:
    [row] = [t for t in tasks.open_for_instance(session, instance_id) if t.element_id == element]
    return row.id


def _case_clocks(session: Session, instance_id: int) -> dict[str, Clock]:
    rows = session.scalars(select(Clock).where(Clock.instance_id == instance_id, Clock.task_id.is_(None)))
    return {c.policy_code: c for c in rows}


def _start(session: Session, **data: object) -> int:
    return instances.start(session, None, at(2), "case_actions", {"dept": "fgw", "signer": "leader", **data}).id


def test_composite_candidate_groups_pick_the_department_at_run_time(world: Session) -> None:
    inst = _start(world)
    row = tasks.get(world, _task(world, inst, "accept"))
    assert sorted(c.value for c in row.candidates) == ["fgw_clerk"]
    assert tasks.may_work(world, row, "clerk") and not tasks.may_work(world, row, "other")
    tasks.complete(world, "clerk", at(3), row.id)
    survey = tasks.get(world, _task(world, inst, "survey"))
    assert sorted(c.value for c in survey.candidates) == ["fgw_clerk", "fgw_head"]


def test_a_missing_variable_leaves_no_half_built_group(world: Session) -> None:
    inst = instances.start(world, None, at(2), "case_actions", {"signer": "leader"}).id
    row = tasks.get(world, _task(world, inst, "accept"))
    assert [c.value for c in row.candidates if c.kind == "group"] == []
    assert "dept" in str(row.properties.get("assignment_notes"))


def test_acceptance_finishes_the_notice_clock_starts_the_decision_clock_and_a_survey_pauses_it(
        world: Session) -> None:
    inst = _start(world)
    notice = _case_clocks(world, inst)["xk_supplement_notice"]
    assert notice.active
    tasks.complete(world, "clerk", at(3), _task(world, inst, "accept"))
    found = _case_clocks(world, inst)
    assert found["xk_supplement_notice"].status == "finished_on_time"
    decision = found["xk_decision"]
    assert decision.responsible == "clerk" and decision.department_code == "fgw"
    # The survey opened with the acceptance: the 20 working days wait while it is open.
    assert decision.paused_since is not None and decision.status == "paused"
    [pause] = world.scalars(select(ClockPause).where(ClockPause.clock_id == decision.id)).all()
    assert pause.reason == "现场踏勘" and pause.note == "现场踏勘"
    tasks.complete(world, "head", at(6), _task(world, inst, "survey"))
    decision = _case_clocks(world, inst)["xk_decision"]
    assert decision.paused_since is None and decision.status == "running"
    # 20 working days from Tue 3 Nov end on Tue 1 Dec; the survey held Wed 4 and Thu 5: Thu 3 Dec.
    assert decision.due_at == datetime(2026, 12, 3, 16, 0)
    tasks.complete(world, "leader", at(7), _task(world, inst, "sign"))
    assert _case_clocks(world, inst)["xk_decision"].status == "finished_on_time"


def test_a_built_in_service_runs_in_the_step_with_its_properties_and_the_actor(world: Session) -> None:
    inst = _start(world)
    tasks.complete(world, "clerk", at(3), _task(world, inst, "accept"))
    assert CALLS == []
    tasks.complete(world, "head", at(4), _task(world, inst, "survey"))
    [call] = CALLS
    assert call.element_id == "stamp" and call.properties["prefix"] == "XK" and call.actor == "head"
    data = instances.current_data(world, instances.get(world, inst), at(4))
    assert data["stamp"] == f"XK-{inst}" and data["stamped_by"] == "head"
    assert [t.element_id for t in tasks.open_for_instance(world, inst)] == ["sign"]


def test_a_failing_service_rolls_the_whole_step_back(world: Session) -> None:
    inst = _start(world, explode=True)
    tasks.complete(world, "clerk", at(3), _task(world, inst, "accept"))
    survey = _task(world, inst, "survey")
    savepoint = world.begin_nested()
    with pytest.raises(ExecutionError, match="register is closed"):
        tasks.complete(world, "head", at(4), survey)
    savepoint.rollback()
    instances.CACHE.clear()
    assert [t.element_id for t in tasks.open_for_instance(world, inst)] == ["survey"]


def test_an_authorised_deputy_signs_for_the_absent_leader_and_the_trail_says_so(world: Session) -> None:
    inst = _start(world)
    tasks.complete(world, "clerk", at(3), _task(world, inst, "accept"))
    tasks.complete(world, "head", at(4), _task(world, inst, "survey"))
    sign = _task(world, inst, "sign")
    with pytest.raises(Forbidden):
        tasks.complete(world, "deputy", at(5), sign)
    with pytest.raises(Forbidden):  # nobody else may name a leader's deputy
        deputies.grant(world, "clerk", at(5), "leader", "deputy", at(5), at(9), "出差")
    with pytest.raises(InvalidInput) as bad:
        deputies.grant(world, "leader", at(5), "leader", "deputy", at(9), at(5), "出差")
    assert bad.value.field == "ends_at"
    grant = deputies.grant(world, "leader", at(5), "leader", "deputy", at(5), at(9), "出差")
    # Outside the period the deputy has no right.
    with pytest.raises(Forbidden):
        tasks.complete(world, "deputy", at(10), sign)
    # Another leader's deputy is no deputy of this one.
    assert deputies.principals(world, "other", at(6)) == []
    tasks.complete(world, "deputy", at(6), sign, {"signed": True}, "同意印发")
    [event] = [e for e in audit.trail(world, inst) if e.action == "complete" and e.element_id == "sign"]
    assert event.actor == "deputy" and event.detail["on_behalf_of"] == "leader"
    assert instances.get(world, inst).status == "completed"
    deputies.revoke(world, "admin", at(6), grant.id)
    assert deputies.principals(world, "deputy", at(6) + timedelta(minutes=1)) == []


@pytest.mark.parametrize(("prop", "value", "code"), [("service", "send_fax", "unknown-service"),
                                                      ("clock_pause", "午休", "clock-pause-reason")])
def test_deploy_refuses_properties_the_engine_cannot_act_on(world: Session, now: datetime, prop: str,
                                                            value: str, code: str) -> None:
    text = (FIXTURES / "case_actions.bpmn").read_text()
    text = text.replace('id="case_actions"', 'id="case_actions_bad"')
    text = text.replace('name="service" value="test_stamp"' if prop == "service"
                        else 'name="clock_pause" value="现场踏勘"', f'name="{prop}" value="{value}"')
    _, problems = definitions.check_files([("bad.bpmn", text.encode())])
    found = [p for p in problems if p.code == code]
    assert found and found[0].element_id == ("stamp" if prop == "service" else "survey")
    assert value in found[0].message
