"""Scenarios for tests/conformance/extra/: files we drew ourselves, one per feature other tools rely on."""

from __future__ import annotations

import pytest

from engine.core.errors import ExecutionError, InvalidInput

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


def fields(definition: object) -> list[tuple[str, str, bool, bool]]:
    return [(f.name, f.type, f.required, f.readonly) for f in definition.fields]  # type: ignore[attr-defined]


FORM_DATA = "extra/camunda_form_data.bpmn"


@scenario(FORM_DATA)
def run_camunda_form_data_collects_what_the_conditions_read(run: Run) -> None:
    result = run.deploy(FORM_DATA)
    assert not [p for p in result.problems if p.severity == "error"]
    case = run.start("camunda_form_data", actor="wang")
    form = case.form("填写用车申请")
    assert fields(form) == [("applicant_name", "text", True, False), ("trip_days", "number", True, False),
                            ("purpose", "choice", True, False), ("startDate", "date", False, False),
                            ("needDriver", "decision", False, False), ("opinion", "opinion", False, False)]
    days = form.field("trip_days")
    assert (days.integer, days.min, days.max, days.default) == (True, 1, 10, 1)
    assert [(c["value"], c["label"]["zh"]) for c in form.field("purpose").choices] == [("meeting", "会议"),
                                                                                      ("inspection", "检查")]
    with pytest.raises(InvalidInput) as refused:
        case.submit("填写用车申请", {"applicant name": "王", "trip_days": "12", "purpose": "会议"})
    assert set(refused.value.errors) >= {"applicant name", "trip_days"}  # type: ignore[attr-defined]
    case.submit("填写用车申请", {"applicant_name": "王五", "trip_days": "5", "purpose": "meeting",
                                "needDriver": "false", "opinion": "请安排"})
    office = case.form("办公室审核")
    assert fields(office)[:2] == [("applicant_name", "text", False, True), ("approved", "decision", True, False)]
    case.submit("办公室审核", {"approved": "true"})
    data = case.finished("office", "end_granted", not_reached=("end_short",))
    assert (data["applicant_name"], data["trip_days"], data["needDriver"]) == ("王五", 5, False)


ACTIVITI = "extra/activiti_form_properties.bpmn"


@scenario(ACTIVITI)
def run_activiti_form_properties_read_and_write_as_activiti_does(run: Run) -> None:
    run.deploy(ACTIVITI)
    case = run.start("activiti_form_properties", actor="zhao")
    assert fields(case.form("填写采购单"))[:3] == [("listing", "longtext", True, False),
                                                  ("amountMoney", "number", True, False),
                                                  ("dueDate", "date", False, False)]
    case.submit("填写采购单", {"listing": "打印纸 10 箱", "amountMoney": "1200.5", "dueDate": "2026-12-01"})
    audit = case.form("部门领导审批")
    assert fields(audit) == [("applyUserId", "text", False, True), ("amountMoney", "number", False, True),
                             ("deptLeaderApproved", "choice", True, False), ("opinion", "opinion", False, False)]
    case.submit("部门领导审批", {"deptLeaderApproved": "true", "opinion": "同意采购"})
    signers = case.form("指定会签人").field("signers")
    assert (signers.type, signers.multiple, signers.required) == ("user", True, True)
    case.submit("指定会签人", {"signers": "li, wang"})
    data = case.finished("end_yes", not_reached=("end_no",))
    assert data["signers"] == ["li", "wang"] and data["amountMoney"] == 1200.5 and data["applyUserId"] == "zhao"


CAMUNDA_FORMS = ("extra/camunda_forms.bpmn", "extra/expense_review.form")


@scenario(*CAMUNDA_FORMS)
def run_camunda_forms_from_a_form_file_and_from_the_bpmn(run: Run) -> None:
    run.deploy(*CAMUNDA_FORMS)
    case = run.start("camunda_forms")
    review = case.form("报销审核")
    assert [(f.name, f.type) for f in review.fields] == [
        ("payee", "text"), ("amount", "number"), ("decision", "choice"), ("attachments", "multichoice"),
        ("urgent", "decision"), ("remark", "longtext"), ("opinion", "opinion")]
    assert review.field("amount").max == 50000 and review.field("payee").max_length == 30
    case.submit("报销审核", {"payee": "市财政局", "amount": "300", "decision": "pass",
                             "attachments": ["invoice", "itinerary"]})
    assert [f.name for f in case.form("归档").fields] == ["archiveNo", "opinion"]
    case.submit("归档", {"archiveNo": "2026-001"})
    data = case.finished("end_paid")
    assert data["attachments"] == ["invoice", "itinerary"] and data["urgent"] is False


@scenario("extra/camunda_forms.bpmn")
def run_a_missing_form_file_is_named_and_the_task_gets_a_generic_form(run: Run) -> None:
    result = run.deploy("extra/camunda_forms.bpmn")
    assert [(p.code, p.element_id) for p in result.problems if p.code == "form-missing"] == [("form-missing", "review")]
    case = run.start("camunda_forms")
    assert [(f.name, f.type) for f in case.form("报销审核").fields] == [("decision", "text"), ("opinion", "opinion")]
    case.submit("报销审核", {"decision": "pass"})
    case.submit("归档", {"archiveNo": "7"})
    case.finished("end_paid")


SPIFF_TRIP = ("extra/spiff_trip.bpmn", "extra/describe-trip-schema.json", "extra/describe-trip-uischema.json",
              "extra/approve-trip-schema.json")


@scenario(*SPIFF_TRIP)
def run_spiffarena_json_schema_forms(run: Run) -> None:
    run.deploy(*SPIFF_TRIP)
    case = run.start("spiff_trip")
    describe = case.form("填写出差计划")
    assert [(f.name, f.type, f.required) for f in describe.fields] == [
        ("days", "number", True), ("destination", "text", True), ("transport", "decision", False),
        ("tasks", "multichoice", False), ("note", "longtext", False), ("opinion", "opinion", False)]
    assert describe.field("note").help == {"zh": "可写明住宿安排", "en": "可写明住宿安排"}
    case.submit("填写出差计划", {"days": "5", "destination": "杭州", "transport": "train", "tasks": ["调研"]})
    approve = case.form("审批出差")
    assert fields(approve)[:2] == [("destination", "text", False, True), ("approved", "decision", True, False)]
    case.submit("审批出差", {"approved": "true"})
    data = case.finished("end_long")
    assert (data["days"], data["transport"], data["tasks"]) == (5, "train", ["调研"])
