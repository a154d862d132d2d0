"""Joint licensing from the application to every end: not accepted, 补正 then granted, denied after a pause
and an extension; who works each step and how the statutory clocks move on the 2026 calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine.clocks import lifecycle as clocks
from engine.clocks.models import Clock
from engine.core.errors import ExecutionError, Forbidden, InvalidInput
from engine.gov import extensions, licensing
from engine.gov.models import Application
from tests.processes.conftest import Gov, last_day, listening

APPLICANT = {"matter_code": "catering", "applicant": "某某餐饮管理有限公司", "id_number": "91110000MA01ABCD3X",
             "phone": "13900139000"}


@pytest.fixture
def app(gov: Gov) -> Application:
    gov.deploy("licence_joint.bpmn")
    return licensing.submit(gov.session, gov.now, actor="zwfw_clerk", **APPLICANT)


def case_clock(gov: Gov, iid: int) -> Clock:
    [found] = [c for c in gov.clocks(iid) if c.task_id is None]
    return found


def test_acceptance_is_the_windows_and_runs_the_five_day_rule(gov: Gov, app: Application) -> None:
    iid = app.instance_id or 0
    assert app.number.startswith("XK20261102") and app.status == "submitted" and app.id_tail == "ABCD3X"
    accept = gov.task(iid, "accept")
    assert gov.who_may(accept) == {"window_clerk", "admin"}  # the lane 综合受理窗口（zwfw_window）
    step = next(c for c in gov.clocks(iid) if c.task_id == accept.id)
    assert step.policy_code == "xk_supplement_notice" and last_day(step) == date(2026, 11, 9)  # 5 working days
    joint = case_clock(gov, iid)
    assert joint.policy_code == "xk_joint" and "第四十二条" in (joint.legal_basis or "")


def test_not_accepted_with_reason(gov: Gov, app: Application) -> None:
    iid = app.instance_id or 0
    gov.complete(iid, "accept", "window_clerk", {"acceptance": "refuse",
                                                 "refuse_reason": "申请事项不属于本机关职权范围（行政许可法第三十二条）"})
    assert gov.status(iid) == "completed" and app.status == "not_accepted"
    assert "第三十二条" in (app.decision_reason or "")
    assert not case_clock(gov, iid).active


def test_supplement_pauses_the_clock_then_departments_review_and_it_is_granted(gov: Gov, app: Application) -> None:
    iid = app.instance_id or 0
    told = listening(gov.session, "licence.decided")
    due_before = case_clock(gov, iid).due_at
    gov.now += timedelta(days=1)  # Tuesday: the notice goes out within the five days
    gov.complete(iid, "accept", "window_clerk", {"acceptance": "supplement", "missing": "缺经营场所平面图；营业执照复印件不清晰"})
    assert app.status == "supplement"
    clock = case_clock(gov, iid)
    assert clock.paused_since is not None and clock.status == "paused"
    assert gov.who_may(gov.task(iid, "supplement")) == {"window_clerk", "admin"}
    gov.now += timedelta(days=7)  # materials arrive a week later (5 working days)
    gov.complete(iid, "supplement", "window_clerk", {"supplement_note": "已补交平面图及清晰的营业执照复印件"})
    assert app.status == "submitted"  # 待受理 again, though the materials came to the window, not the portal
    clock = case_clock(gov, iid)
    [pause] = clocks.pauses_of(gov.session, clock)
    assert clock.paused_since is None and pause.reason == "补正" and pause.resumed_by == "window_clerk"
    assert clock.due_at - due_before >= timedelta(days=7)  # five working days later, across a weekend
    gov.complete(iid, "accept", "window_clerk", {"acceptance": "accept"})
    assert app.status == "reviewing"
    reviews = [t for t in gov.open_tasks(iid) if t.element_id == "review"]
    assert sorted(sorted(gov.who_may(t) - {"admin"}) for t in reviews) == [["scjg_head"], ["sthj_head"]]
    review_clocks = [c for c in gov.clocks(iid) if c.element_id == "review"]
    assert len(review_clocks) == 2 and {c.department_code for c in review_clocks} == {"scjg", "sthj"}
    # accepted Tuesday 10 Nov: ten working days end on Tuesday 24 Nov
    assert {last_day(c) for c in review_clocks} == {date(2026, 11, 24)}
    for t in reviews:
        head = sorted(gov.who_may(t) - {"admin"})[0]
        gov.complete(iid, "review", head, {"agree": True}, opinion=f"{head}：符合条件", task_id=t.id)
    assert {r["by"] for r in gov.data(iid)["reviews"]} == {"scjg_head", "sthj_head"}
    assert gov.who_may(gov.task(iid, "consolidate")) == {"scjg_head", "admin"}  # the lead department
    gov.complete(iid, "consolidate", "scjg_head", {"proposal": "grant"}, opinion="各部门均同意")
    assert gov.who_may(gov.task(iid, "decide")) == {"scjg_leader", "admin"}
    gov.complete(iid, "decide", "scjg_leader", {"decision": "grant", "legal_reason": "符合《食品经营许可和备案管理办法》规定条件"})
    assert not case_clock(gov, iid).active and case_clock(gov, iid).status.startswith("finished")
    assert app.status == "granted" and app.certificate_no == "某联审食〔2026〕1号"
    [decided] = told()
    assert decided["data"] == {"instance_id": iid, "number": app.number, "matter": "catering", "decision": "grant",
                               "reason": "符合《食品经营许可和备案管理办法》规定条件", "certificate_no": "某联审食〔2026〕1号"}
    gov.complete(iid, "deliver_grant", "window_clerk", {"delivery_method": "window"})
    assert gov.status(iid) == "completed" and app.status == "delivered"
    licensing.rate(gov.session, gov.now, app, 5, "一次办好")
    assert app.rating == 5


def test_denied_after_a_site_inspection_pause_and_an_extension(gov: Gov) -> None:
    gov.deploy("licence_joint.bpmn")
    told = listening(gov.session, "licence.decided")
    app = licensing.submit(gov.session, gov.now, actor="zwfw_clerk",
                           **{**APPLICANT, "matter_code": "construction_project", "applicant": "某某置业有限公司"})
    iid = app.instance_id or 0
    gov.complete(iid, "accept", "window_clerk", {"acceptance": "accept"})
    reviews = [t for t in gov.open_tasks(iid) if t.element_id == "review"]
    assert len(reviews) == 4
    joint = case_clock(gov, iid)
    due = joint.due_at
    clocks.pause_clock(gov.session, "zrzy_head", gov.now, joint.id, "现场踏勘", note="用地现场踏勘")
    clocks.resume_clock(gov.session, "zrzy_head", gov.now + timedelta(days=2), joint.id)  # Mon→Wed: 2 working days
    assert [p.reason for p in clocks.pauses_of(gov.session, joint)] == ["现场踏勘"]
    assert case_clock(gov, iid).due_at > due
    request = extensions.request_extension(gov.session, "zwfw_clerk", gov.now, joint.id, 15, "涉及专家论证，情况复杂")
    with pytest.raises(Forbidden):
        extensions.decide(gov.session, "scjg_clerk", gov.now, request.id, True)
    approvers = {u.username for u in extensions.approvers(gov.session, joint)}
    extensions.decide(gov.session, sorted(approvers)[0], gov.now, request.id, True)
    assert case_clock(gov, iid).extended_days == 15
    for t in reviews:
        head = sorted(gov.who_may(t) - {"admin"})[0]
        agree = head != "sthj_head"
        gov.complete(iid, "review", head, {"agree": agree}, opinion="环评不符合要求" if not agree else "同意",
                     task_id=t.id)
    gov.complete(iid, "consolidate", "fgw_head", {"proposal": "deny"}, opinion="生态环境局不同意")
    with pytest.raises(ExecutionError):  # no flow takes an unknown decision: the step is refused, not guessed
        gov.complete(iid, "decide", "fgw_leader", {"decision": "maybe"})
    assert gov.task(iid, "decide").status == "open"
    gov.complete(iid, "decide", "fgw_leader", {"decision": "deny", "legal_reason": "环境影响评价文件未获批准"})
    assert app.status == "denied" and app.decision == "deny" and app.certificate_no is None
    assert [(b["data"]["decision"], b["data"]["reason"]) for b in told()] == [("deny", "环境影响评价文件未获批准")]
    gov.complete(iid, "deliver_denial", "window_clerk", {"delivery_method": "post"})
    assert gov.status(iid) == "completed" and app.status == "delivered"


def test_application_lookup_by_number_and_id_tail_is_throttled(gov: Gov, app: Application) -> None:
    assert licensing.check(gov.session, gov.now, app.number, "ZZZZZZ", "1.2.3.4") is None
    assert licensing.check(gov.session, gov.now, app.number, app.id_tail, "1.2.3.4") is app
    for _ in range(licensing.WRONG_LIMIT - 1):  # one wrong try above already counts
        licensing.check(gov.session, gov.now, app.number, "000000", "1.2.3.5")
    with pytest.raises(Forbidden):
        licensing.check(gov.session, gov.now, app.number, app.id_tail, "1.2.3.6")
    with pytest.raises(InvalidInput) as caught:
        licensing.submit(gov.session, gov.now, **{**APPLICANT, "id_number": "123"})
    assert caught.value.field == "id_number"
    with pytest.raises(InvalidInput):
        licensing.submit(gov.session, gov.now, **{**APPLICANT, "matter_code": "casino"})
