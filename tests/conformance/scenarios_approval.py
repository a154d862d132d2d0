"""Scenarios for approval/: Chinese Activiti approvals (请假, 会签, 采购/付款, 会议, 薪酬) with their loops."""

from __future__ import annotations

import pytest

from engine.core.errors import ExecutionError

from .scenarios import Case, Run, scenario

APPLICANT = "zhangsan"


def _groups(case: Case, name: str) -> list[str]:
    return sorted(c.value for c in case.task(name).candidates if c.kind == "group")


@scenario("approval/aia_leave_qingjia.bpmn")
def run_leave_rejected_adjusted_then_approved(run: Run) -> None:
    run.deploy("approval/aia_leave_qingjia.bpmn")
    case = run.start("leave", {"leaveType": "年假", "reason": "探亲"}, actor=APPLICANT)
    assert _groups(case, "部门领导审批") == ["deptLeader"]
    case.complete("部门领导审批", {"deptLeaderApproved": False})
    assert case.task("调整申请").assignee == APPLICANT
    case.complete("调整申请", {"reApply": True, "reason": "探亲（改期）"})
    case.complete("部门领导审批", {"deptLeaderApproved": True})
    assert _groups(case, "人事审批") == ["hr"]
    case.complete("人事审批", {"hrApproved": True})
    assert case.task("销假").assignee == APPLICANT
    case.complete("销假", {"realityStartTime": "2026-11-03", "realityEndTime": "2026-11-05"})
    data = case.finished("reportBack", "endevent1")
    assert data["applyUserId"] == APPLICANT and data["reason"] == "探亲（改期）"
    assert case.worked() == ["部门领导审批", "调整申请", "部门领导审批", "人事审批", "销假"]


@scenario("approval/aia_leave_qingjia.bpmn")
def run_leave_withdrawn_after_hr_refusal(run: Run) -> None:
    run.deploy("approval/aia_leave_qingjia.bpmn")
    case = run.start("leave", {"leaveType": "事假"}, actor=APPLICANT)
    case.complete("部门领导审批", {"deptLeaderApproved": True})
    case.complete("人事审批", {"hrApproved": False})
    case.complete("调整申请", {"reApply": False})
    case.finished("modifyApply", "endevent1", not_reached=("reportBack",))


@scenario("approval/aia_leave-countersign_huiqian.bpmn")
def run_countersign_all_agree(run: Run) -> None:
    run.deploy("approval/aia_leave-countersign_huiqian.bpmn")
    users = ["lisi", "wangwu"]
    case = run.start("leave-countersign", {"users": users, "approvedCounter": 0, "reason": "婚假"},
                     actor=APPLICANT)
    assert sorted(row.assignee for row in case.open()) == users
    votes = iter(range(1, 3))
    case.complete_all("countersign", lambda row: {"approved": True, "approvedCounter": next(votes)})
    assert case.task("销假").assignee == APPLICANT
    case.complete("销假")
    data = case.finished("countersign", "reportBack", "endevent1", not_reached=("modifyApply",))
    assert data["approvedCounter"] == len(users)


@scenario("approval/aia_leave-mail-timeout.bpmn")
def run_leave_mail_and_report_back_timeout(run: Run) -> None:
    run.deploy("approval/aia_leave-mail-timeout.bpmn")
    due = run.now.replace(day=run.now.day + 3).isoformat()
    case = run.start("leave-mail-timeout", {"reportBackTimeout": due}, actor=APPLICANT)
    case.complete("部门领导审批", {"deptLeaderApproved": "true"})
    case.complete("人事审批", {"hrApproved": "true"})
    assert case.task("审批通过通知申请人").kind == "external"
    case.complete("审批通过通知申请人")
    assert case.names() == ["销假"]
    case.wait(days=3, hours=1)
    assert case.names() == ["销假", "销假超时提醒"]
    case.complete("销假超时提醒")
    case.complete("销假")
    case.finished("boundarytimer1", "reportBackTimeoutMail", "endevent1", not_reached=("modifyApply",))


def _purchase_rejected_then_paid(case: Case) -> None:
    case.complete("领导审批", {"deptLeaderApproved": "true"})
    case.complete("联系供货方", {"supplier": "文具店"})
    assert _groups(case, "财务审批") == ["treasurer"]
    case.complete("财务审批", {"treasurerApproved": "false"})
    assert case.names() == ["调整申请"], "the payment rejection must reach the error boundary"
    case.complete("调整申请", {"reApply": "true", "amountMoney": 12000})
    case.complete("领导审批", {"deptLeaderApproved": "true"})
    case.complete("联系供货方")
    case.complete("财务审批", {"treasurerApproved": "true"})
    assert _groups(case, "总经理审批") == ["generalManager"]
    case.complete("总经理审批", {"generalManagerApproved": "true"})
    case.complete("出纳付款")
    assert case.task("收货确认").assignee == APPLICANT
    case.complete("收货确认")


@scenario("approval/aia_purchase-subprocess_caigou.bpmn")
def run_purchase_subprocess_reject_and_resubmit(run: Run) -> None:
    run.deploy("approval/aia_purchase-subprocess_caigou.bpmn")
    case = run.start("purchase-subprocess", {"listing": "A4 纸", "amountMoney": 800}, actor=APPLICANT)
    _purchase_rejected_then_paid(case)
    data = case.finished("boundaryerror1", "generalManagerAudit", "endevent3", not_reached=("endevent2",))
    assert data["amountMoney"] == 12000
    assert case.worked().count("财务审批") == 2


@scenario("approval/aia_purchase-callactivity.bpmn", "approval/aia_payment_fukuan.bpmn")
def run_purchase_call_activity_reject_and_resubmit(run: Run) -> None:
    run.deploy("approval/aia_purchase-callactivity.bpmn", "approval/aia_payment_fukuan.bpmn")
    case = run.start("purchase-callactivity", {"listing": "打印机", "amountMoney": 800}, actor=APPLICANT)
    _purchase_rejected_then_paid(case)
    case.finished("boundaryerror1", "callactivity-payment", "generalManagerAudit", "endevent3",
                  not_reached=("endevent2",))


@scenario("approval/aia_payment_fukuan.bpmn")
def run_payment_small_amount(run: Run) -> None:
    run.deploy("approval/aia_payment_fukuan.bpmn")
    case = run.start("payment", {"amountMoney": 3000}, actor=APPLICANT)
    case.complete("财务审批", {"treasurerApproved": "true"})
    assert _groups(case, "出纳付款") == ["cashier"]
    case.complete("出纳付款")
    case.finished("pay", "endevent1", not_reached=("generalManagerAudit", "errorendevent1", "errorendevent2"))


def _szw_purchase(run: Run, money: int) -> Case:
    run.deploy("approval/szw_purchase_caigou.bpmn")
    people = {"purchasemanager": "wang", "finance": "li", "manager": "zhao", "pay": "qian"}
    case = run.start("purchase", {"itemlist": "办公椅", "money": money, **people}, actor=APPLICANT)
    row = case.task("采购经理审批")
    assert row.assignee == "wang" and _groups(case, "采购经理审批") == ["采购经理"]
    case.complete("采购经理审批", {"purchaseauditi": "true"})
    assert case.task("财务审批").assignee == "li" and _groups(case, "财务审批") == ["财务管理员"]
    case.complete("财务审批", {"finance": "true"})
    return case


@scenario("approval/szw_purchase_caigou.bpmn")
def run_szw_purchase_below_10000(run: Run) -> None:
    case = _szw_purchase(run, 5000)
    assert case.task("出纳付款").assignee == "qian" and _groups(case, "出纳付款") == ["出纳员"]
    case.complete("出纳付款")
    case.complete("收货确认")
    case.finished("paymoney", "endevent2", "endevent3", not_reached=("manageraudit", "updateapply"))


@scenario("approval/szw_purchase_caigou.bpmn")
def run_szw_purchase_manager_refuses_large_amount(run: Run) -> None:
    case = _szw_purchase(run, 20000)
    assert _groups(case, "总经理审批") == ["总经理"]
    case.complete("总经理审批", {"manager": "false"})
    assert case.task("调整采购申请").assignee == APPLICANT
    case.complete("调整采购申请", {"updateapply": "false"})
    case.finished("manageraudit", "boundaryerror1", "endevent1", not_reached=("paymoney", "receiveitem"))


@scenario("approval/szw_purchase_caigou.bpmn")
def run_szw_purchase_gap_at_exactly_10000_is_reported(run: Run) -> None:
    run.deploy("approval/szw_purchase_caigou.bpmn")
    case = run.start("purchase", {"money": 10000, "purchasemanager": "wang", "finance": "li"}, actor=APPLICANT)
    case.complete("采购经理审批", {"purchaseauditi": "true"})
    with pytest.raises(ExecutionError) as info:
        case.complete("财务审批", {"finance": "true"})
    assert "exclusivegateway4" in f"{info.value} {info.value.element_id}"
    assert case.names() == ["财务审批"] and case.status == "running"


@scenario("approval/szw_meeting_huiyi.bpmn")
def run_meeting_sign_in_by_everyone(run: Run) -> None:
    run.deploy("approval/szw_meeting_huiyi.bpmn")
    people = ["lisi", "wangwu", "zhaoliu"]
    case = run.start("meeting", {"people": people, "topic": "周例会"}, actor=APPLICANT)
    rows = case.open()
    assert sorted(r.assignee for r in rows) == people and {r.name for r in rows} == {"会议签到"}
    assert case.complete_all("会议签到", lambda row: {"signed": True}) == 3
    assert case.task("填写会议纪要").assignee == APPLICANT
    case.complete("填写会议纪要", {"minutes": "议定三项"})
    data = case.finished("usertask2", "usertask3", "endevent1")
    assert data["host"] == APPLICANT and data["minutes"] == "议定三项"


@scenario("approval/jeesite_test_audit_xinchou.bpmn")
def run_salary_audit_sent_back_once(run: Run) -> None:
    run.deploy("approval/jeesite_test_audit_xinchou.bpmn")
    case = run.start("test_audit", {"grade": "B2"}, actor=APPLICANT)
    assert case.task("薪酬主管初审").assignee == "thinkgem"
    case.complete("薪酬主管初审", {"pass": 1})
    case.complete("集团人力资源部部长审核", {"pass": 0})
    assert case.task("员工薪酬档级修改").assignee == APPLICANT
    case.complete("员工薪酬档级修改", {"pass": 1, "grade": "B1"})
    for level in ("薪酬主管初审", "集团人力资源部部长审核", "集团人力资源部分管领导审核", "集团总经理审批"):
        case.complete(level, {"pass": 1})
    case.complete("薪酬档级兑现")
    data = case.finished("modify", "apply_end", "end")
    assert data["grade"] == "B1"
    assert case.worked().count("集团人力资源部部长审核") == 2


@scenario("approval/jeesite_test_audit_xinchou.bpmn")
def run_salary_audit_destroyed(run: Run) -> None:
    run.deploy("approval/jeesite_test_audit_xinchou.bpmn")
    case = run.start("test_audit", {"grade": "C1"}, actor=APPLICANT)
    case.complete("薪酬主管初审", {"pass": 0})
    case.complete("员工薪酬档级修改", {"pass": 0})
    case.finished("modify", "end", not_reached=("audit2", "apply_end"))


@scenario("approval/aia_leave-in-pool.bpmn")
def run_leave_in_pool_takes_the_first_unconditioned_flow(run: Run) -> None:
    """Neither gateway has conditions: as in Activiti, each takes its first flow (同意) every time."""
    result = run.deploy("approval/aia_leave-in-pool.bpmn")
    warned = {(p.code, p.element_id) for p in result.problems}
    assert ("missing-condition", "flow2") in warned and ("unreachable-flow", "flow8") in warned
    case = run.start("process_pool1", actor=APPLICANT)
    assert _groups(case, "部门领导审批") == ["领导"]
    case.complete("部门领导审批")
    assert _groups(case, "人事审批") == ["人事"]
    case.complete("人事审批")
    case.complete("销假")
    case.finished("hrAudit", "reportBack", "endevent1", not_reached=("usertask1",))
