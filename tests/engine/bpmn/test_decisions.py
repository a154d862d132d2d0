"""Decision tables: FEEL cells, hit policies and result mappings, checked by intake and run by SpiffWorkflow's
decision engine with govflow's additions; what cannot be decided is refused with its reason."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

import pytest

from engine.bpmn import runtime
from engine.bpmn.sandbox import make_script_engine
from engine.core.errors import ExecutionError
from engine.intake import batch

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMN12 = "http://www.omg.org/spec/DMN/20180521/MODEL/"


def table(rules: str, policy: str = "UNIQUE", ns: str = DMN13, extra: str = "", outputs: str = "") -> bytes:
    outs = outputs or '<output id="o1" name="result" typeRef="string"/>'
    return (f'<definitions xmlns="{ns}" id="defs" name="d" namespace="x"><decision id="dec" name="Decide">'
            f'<decisionTable id="t" hitPolicy="{policy}"{extra}><input id="i1"><inputExpression id="ie" '
            f'typeRef="number"><text>score</text></inputExpression></input>{outs}{rules}</decisionTable>'
            "</decision></definitions>").encode()


def rule(ident: str, test: str, *outputs: str) -> str:
    cells = "".join(f'<outputEntry id="{ident}o{i}"><text>{o}</text></outputEntry>' for i, o in enumerate(outputs))
    return f'<rule id="{ident}"><inputEntry id="{ident}i"><text>{escape(test)}</text></inputEntry>{cells}</rule>'


def bpmn(task_attrs: str, extension: str = "") -> bytes:
    return ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
            'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="b" targetNamespace="t">'
            '<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/>'
            f'<bpmn:businessRuleTask id="d" name="Decide" {task_attrs}>{extension}</bpmn:businessRuleTask>'
            '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="d"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="d" targetRef="e"/></bpmn:process></bpmn:definitions>').encode()


CAMUNDA = 'camunda:decisionRef="dec"'


def decide(dmn: bytes, task: str = CAMUNDA, data: dict[str, Any] | None = None, extension: str = "") -> dict:
    checked = batch.check([("d.dmn", dmn), ("p.bpmn", bpmn(task, extension))])
    assert [p.format() for p in checked.problems if p.severity == "error"] == []
    parsed, problems = runtime.parse_batch(checked.bpmn, {"p.bpmn": ["p"]}, checked.dmn)
    assert problems == []
    wf = runtime.new_workflow(parsed[0].spec, parsed[0].local_subprocess_specs, make_script_engine(), data or {})
    assert runtime.is_completed(wf)
    return runtime.current_data(wf)


RULES = rule("r1", "< 50", '"low"') + rule("r2", "[50..80[", '"mid"') + rule("r3", ">= 80", '"high"')


@pytest.mark.parametrize(("score", "expected"), [(10, "low"), (50, "mid"), ("79.5", "mid"), (80, "high")])
def test_unique_table_with_feel_ranges(score: Any, expected: str) -> None:
    assert decide(table(RULES), data={"score": score})["result"] == expected


def test_dmn_1_2_and_spiff_decision_reference() -> None:
    spiff = "<bpmn:extensionElements><spiffworkflow:calledDecisionId>dec</spiffworkflow:calledDecisionId>" \
            "</bpmn:extensionElements>"
    assert decide(table(RULES, ns=DMN12), task="", data={"score": 90}, extension=spiff)["result"] == "high"


def test_first_takes_the_first_match_and_a_list_cell_and_negation_work() -> None:
    rules = rule("r1", 'not(1, 2)', '"other"') + rule("r2", "1, 2", '"small"') + rule("r3", "-", '"never"')
    assert decide(table(rules, "FIRST"), data={"score": 2})["result"] == "small"
    assert decide(table(rules, "FIRST"), data={"score": 7})["result"] == "other"


def test_any_needs_the_matching_rules_to_agree() -> None:
    agree = rule("r1", "> 1", '"yes"') + rule("r2", "> 2", '"yes"')
    assert decide(table(agree, "ANY"), data={"score": 5})["result"] == "yes"
    differ = rule("r1", "> 1", '"yes"') + rule("r2", "> 2", '"no"')
    with pytest.raises(ExecutionError, match="different outputs"):
        decide(table(differ, "ANY"), data={"score": 5})


TWO_OUTPUTS = '<output id="o1" name="level"/><output id="o2" name="fee"/>'
COLLECTED = rule("r1", "> 0", '"basic"', "10") + rule("r2", "> 5", '"extra"', "20")


@pytest.mark.parametrize(("attrs", "expected"), [
    ('camunda:resultVariable="r"', [{"level": "basic", "fee": 10}, {"level": "extra", "fee": 20}]),  # resultList
    ('camunda:resultVariable="r" camunda:mapDecisionResult="collectEntries"', ["basic", "extra"]),
])
def test_camunda_result_mappings_of_a_collecting_table(attrs: str, expected: Any) -> None:
    data = decide(table(COLLECTED, "RULE ORDER", outputs=TWO_OUTPUTS), f"{CAMUNDA} {attrs}", {"score": 9})
    assert data["r"] == expected


def test_single_result_zeebe_result_and_spiff_outputs_by_name() -> None:
    dmn = table(COLLECTED, "FIRST", outputs=TWO_OUTPUTS)
    single = decide(dmn, f'{CAMUNDA} camunda:resultVariable="r" camunda:mapDecisionResult="singleResult"', {"score": 1})
    assert single["r"] == {"level": "basic", "fee": 10}
    zeebe = '<bpmn:extensionElements><zeebe:calledDecision decisionId="dec" resultVariable="r"/></bpmn:extensionElements>'
    assert decide(dmn, "", {"score": 1}, extension=zeebe)["r"] == {"level": "basic", "fee": 10}
    by_name = decide(dmn, CAMUNDA, {"score": 1})
    assert (by_name["level"], by_name["fee"]) == ("basic", 10)


@pytest.mark.parametrize(("aggregation", "expected"), [("SUM", 30), ("MIN", 10), ("MAX", 20), ("COUNT", 2)])
def test_collect_aggregations(aggregation: str, expected: int) -> None:
    rules = rule("r1", "> 0", "10") + rule("r2", "> 5", "20")
    dmn = table(rules, "COLLECT", extra=f' aggregation="{aggregation}"', outputs='<output id="o1" name="total"/>')
    assert decide(dmn, data={"score": 9})["total"] == expected


def refusals(*files: tuple[str, bytes]) -> list[tuple[str, str | None]]:
    return [(p.code, p.element_id) for p in batch.check(list(files)).problems if p.severity == "error"]


def test_a_missing_decision_is_refused_at_the_task_naming_it() -> None:
    found = refusals(("d.dmn", table(RULES)), ("p.bpmn", bpmn('camunda:decisionRef="other"')))
    assert found == [("unknown-decision", "d")]
    assert refusals(("p.bpmn", bpmn(""))) == [("business-rule-without-decision", "d")]


def test_what_the_engine_cannot_decide_is_refused() -> None:
    priority = table(RULES, "PRIORITY")
    assert ("hit-policy", "t") in refusals(("d.dmn", priority), ("p.bpmn", bpmn(CAMUNDA)))
    literal = (f'<definitions xmlns="{DMN13}" id="x" name="x" namespace="x"><decision id="dec">'
               '<literalExpression id="le"><text>1</text></literalExpression></decision></definitions>').encode()
    assert ("decision-kind", "dec") in refusals(("d.dmn", literal), ("p.bpmn", bpmn(CAMUNDA)))
    chained = table(RULES).replace(b'<decisionTable', b'<informationRequirement id="ir"><requiredDecision '
                                   b'href="#other"/></informationRequirement><decisionTable')
    assert ("decision-requirement", "dec") in refusals(("d.dmn", chained), ("p.bpmn", bpmn(CAMUNDA)))
    bad_cell = table(rule("r1", "[1..", '"x"'))
    assert ("untranslatable-expression", "r1i") in refusals(("d.dmn", bad_cell), ("p.bpmn", bpmn(CAMUNDA)))
    assert refusals(("d.dmn", table(RULES))) == [("no-bpmn", None)]
