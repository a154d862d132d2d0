"""延期申请: asked by the responsible handler, decided by their head; approval moves the due date."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks import lifecycle as clocks
from engine.clocks.policies import seed_policies
from engine.core.errors import Conflict, Forbidden, InvalidInput
from engine.gov import extensions
from engine.org import directory as org
from engine.org import notify


@pytest.fixture
def world(session: Session, now: datetime) -> Session:
    seed_policies(session)
    workdays.seed_official(session, now)
    boss = org.create_user(session, "boss", department="fgw", email="boss@example.gov.cn")
    clerk = org.create_user(session, "clerk", department="fgw")
    clerk.supervisor_id = boss.id
    org.create_user(session, "chief", groups=["fgw_leader"], department="fgw")
    org.create_user(session, "stranger", department="scjg")
    session.flush()
    return session


def test_a_head_approves_and_the_due_date_moves_by_ten_working_days(world: Session, now: datetime) -> None:
    clock = clocks.start_clock(world, None, now, "xk_decision", responsible="clerk", department_code="fgw")
    before = clock.due_at
    with pytest.raises(Forbidden):
        extensions.request_extension(world, "stranger", now, clock.id, 10, "需专家论证")
    with pytest.raises(InvalidInput) as no_reason:
        extensions.request_extension(world, "clerk", now, clock.id, 10, " ")
    assert no_reason.value.field == "reason"
    row = extensions.request_extension(world, "clerk", now, clock.id, 10, "情况复杂，需专家论证")
    assert sorted(u.username for u in extensions.approvers(world, clock)) == ["boss", "chief"]
    assert [n.kind for n in notify.list_inapp(world, "boss")] == ["extension"]
    assert [r.id for r in extensions.pending_for(world, "chief")] == [row.id]
    with pytest.raises(Conflict, match="already waiting"):
        extensions.request_extension(world, "clerk", now, clock.id, 5, "再延")
    with pytest.raises(Forbidden):
        extensions.decide(world, "stranger", now, row.id, True)
    extensions.decide(world, "chief", now, row.id, True, "同意延期")
    clock = clocks.get_clock(world, clock.id)
    # 20 working days from Mon 2 Nov end on Mon 30 Nov; 10 more end on Mon 14 Dec (no holidays between).
    assert before == datetime(2026, 11, 30, 16, 0) and clock.due_at == datetime(2026, 12, 14, 16, 0)
    assert clock.extended_days == 10
    with pytest.raises(Conflict, match="already approved"):
        extensions.decide(world, "boss", now, row.id, False, "不同意")


def test_a_refusal_needs_a_reason_and_leaves_the_clock_alone(world: Session, now: datetime) -> None:
    clock = clocks.start_clock(world, None, now, "xk_decision", responsible="clerk", department_code="fgw")
    row = extensions.request_extension(world, "clerk", now, clock.id, 10, "材料复杂")
    with pytest.raises(InvalidInput):
        extensions.decide(world, "boss", now, row.id, False)
    extensions.decide(world, "boss", now, row.id, False, "可在时限内完成")
    assert clocks.get_clock(world, clock.id).extended_days == 0
    # The law allows one extension only: after an approved one a second request fails on approval.
    again = extensions.request_extension(world, "clerk", now, clock.id, 10, "仍需时间")
    extensions.decide(world, "boss", now, again.id, True)
    third = extensions.request_extension(world, "clerk", now, clock.id, 1, "再延一天")
    with pytest.raises(Conflict, match="only once"):
        extensions.decide(world, "boss", now, third.id, True)


def test_the_requests_waiting_for_someone_are_those_approvers_names_them_for(world: Session, now: datetime) -> None:
    """pending_for finds in one statement what asking approvers() of every pending request found."""
    org.create_user(world, "boss2", department="scjg")
    helper = org.create_user(world, "helper", department="scjg")
    helper.supervisor_id = org.get_user(world, "boss2").id
    org.create_user(world, "chief2", groups=["scjg_leader", "fgw_leader"], department="scjg")
    world.flush()
    made = []
    for k, (who, dept) in enumerate([("clerk", "fgw"), ("helper", "scjg"), ("clerk", "scjg"), ("helper", None),
                                     ("clerk", "fgw"), ("helper", "fgw")]):
        clock = clocks.start_clock(world, None, now, "xk_decision", responsible=who, department_code=dept)
        made.append(extensions.request_extension(world, who, now, clock.id, 1 + k, f"理由{k}"))
    extensions.decide(world, "boss", now, made[4].id, False, "不同意")  # decided: waits for nobody
    everyone = ["boss", "boss2", "chief", "chief2", "clerk", "helper", "stranger"]
    for user in everyone:
        expected = [r.id for r in made if r.status == "pending" and user in
                    {u.username for u in extensions.approvers(world, clocks.get_clock(world, r.clock_id))}]
        assert [r.id for r in extensions.pending_for(world, user)] == expected, user
        assert extensions.pending_count(world, user) == len(expected)
    assert [len(extensions.pending_for(world, u)) for u in everyone] == [2, 3, 2, 4, 0, 0, 0]
