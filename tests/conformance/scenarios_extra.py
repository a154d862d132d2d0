"""Scenarios for tests/conformance/extra/: files we drew ourselves, one per feature other tools rely on."""

from __future__ import annotations

import pytest

from engine.core.errors import ExecutionError

from .scenarios import Run, scenario

FLOWS = "extra/flow_semantics.bpmn"


@scenario(FLOWS)
def run_unconditioned_flow_wins_in_file_order_and_task_splits_by_condition(run: Run) -> None:
    result = run.deploy(FLOWS)
    warned = {(p.code, p.element_id) for p in result.problems}
    assert {("missing-condition", "first"), ("unreachable-flow", "big"),
            ("conditional-flow-from-task", "review")} <= warned
    case = run.start("flow_semantics", {"amount": 500})
    assert case.names() == ["Review"], "the first flow in the file wins, though 'big' is drawn higher"
    case.complete("Review", {"archive": "true", "notify": True})
    assert case.names() == ["Archive", "Notify"], "both conditions hold: both flows are taken"
    case.complete("Archive")
    case.complete("Notify")
    case.finished("end_archive", "end_notify", not_reached=("never",))


@scenario(FLOWS)
def run_task_split_takes_only_the_flows_whose_condition_holds(run: Run) -> None:
    run.deploy(FLOWS)
    case = run.start("flow_semantics", {"amount": 1})
    case.complete("Review", {"archive": "FALSE", "notify": True})  # EL: "true" == true
    assert case.names() == ["Notify"]
    case.complete("Notify")
    case.finished("end_notify", not_reached=("archive", "never"))


ASSIGNMENT = "extra/assignment_expressions.bpmn"


def _who(case: object, name: str) -> tuple[str | None, list[tuple[str, str]]]:
    row = case.task(name)  # type: ignore[attr-defined]
    return row.assignee, sorted((c.kind, c.value) for c in row.candidates)


@scenario(ASSIGNMENT)
def run_initiator_performer_and_owner_expressions(run: Run) -> None:
    run.deploy(ASSIGNMENT)
    case = run.start("assignment_expressions", {"reviewer": "li", "dept": "finance", "signers": ["zhao", "qian"]},
                     actor="wang")
    assert _who(case, "Draft") == ("wang", []), "${initiator} is the starting user"
    case.complete("Draft")
    assert _who(case, "Confirm") == ("wang", []), "a humanPerformer expression names the assignee"
    case.complete("Confirm")
    assert _who(case, "Review") == (None, [("group", "office"), ("user", "li")])
    case.complete("Review", actor="li")
    assert _who(case, "Recheck") == (None, [("group", "finance"), ("user", "wang")]), \
        "a potentialOwner expression naming the starter is that user; others are groups, as in Camunda"
    case.complete("Recheck", actor="wang")
    assert _who(case, "Sign") == (None, [("group", "finance_head"), ("group", "leaders"),
                                         ("user", "qian"), ("user", "zhao")])
    case.complete("Sign", actor="zhao")
    data = case.finished("sign", "end")
    assert data["applyUser"] == "wang"


LEAVE_RULES = ("extra/leave_rules.dmn", "extra/leave_with_decisions.bpmn")
RISK = ("extra/risk_rules_dmn11.dmn", "extra/spiff_risk_review.bpmn")


def _leave(run: Run, days: int, kind: str, years: int) -> object:
    run.deploy(*LEAVE_RULES)
    return run.start("leave_with_decisions", {"days": str(days), "leaveKind": kind, "years": years})


@scenario(*LEAVE_RULES)
def run_decision_tables_route_a_short_leave(run: Run) -> None:
    case = _leave(run, 2, "annual", 12)
    data = case.data()
    assert data["approverGroup"] == "dept_head", "UNIQUE: [1..3] matches, mapped as singleEntry"
    assert data["allowance"] == 10, "COLLECT SUM over the rules that match 12 years"
    assert data["checks"] == ["balance"], "RULE ORDER mapped as collectEntries"
    assert [c.value for c in case.task("审批").candidates] == ["dept_head"]
    case.complete("审批")
    case.finished("end_ok", not_reached=("end_over",))


@scenario(*LEAVE_RULES)
def run_decision_tables_route_a_long_sick_leave(run: Run) -> None:
    case = _leave(run, 12, "sick", 1)
    data = case.data()
    assert data["approverGroup"] == "hr" and data["allowance"] == 5
    assert data["checks"] == ["balance", "handover"]
    case.complete("审批")
    case.finished("end_over", not_reached=("end_ok",))


@scenario(*LEAVE_RULES)
def run_a_unique_table_with_two_matching_rules_stops_with_the_rows(run: Run) -> None:
    with pytest.raises(ExecutionError, match="rules 4, 5 all match"):
        _leave(run, 30, "personal", 1)
    fine = run.start("leave_with_decisions", {"days": 30, "leaveKind": "annual", "years": 0})
    assert fine.data()["approverGroup"] == "leaders"


@scenario(*RISK)
def run_spiff_decision_and_a_feel_condition_on_a_spaced_output(run: Run) -> None:
    result = run.deploy(*RISK)
    assert any(p.code == "adapted-expression" and "Risk_Level" in p.message for p in result.problems)
    low = run.start("spiff_risk_review", {"amount": 300})
    assert low.data()["Risk_Level"] == "low"
    low.finished("end_auto", not_reached=("review",))
    high = run.start("spiff_risk_review", {"amount": "20000"})
    assert high.data()["Risk_Level"] == "medium", "typeRef double reads the text as a number"
    high.complete("Review")
    high.finished("end_reviewed")
