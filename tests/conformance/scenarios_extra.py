"""Scenarios for tests/conformance/extra/: files we drew ourselves, one per feature other tools rely on."""

from __future__ import annotations

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
