"""Dialect translation and lint rules, one small BPMN at a time: what is adapted, what is refused."""

from __future__ import annotations

import pytest
from lxml import etree

from engine.bpmn.sandbox import make_script_engine
from engine.intake.dialects import normalize
from engine.intake.expressions import UntranslatableExpression, quote_timer, translate_expression
from engine.intake.lint import executable_process_ids, lint

NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:activiti="http://activiti.org/bpmn"'


def tree(body: str, executable: str = "true") -> etree._ElementTree:
    xml = f'<bpmn:definitions {NS} id="d" targetNamespace="t"><bpmn:process id="p" isExecutable="{executable}">' \
          f"{body}</bpmn:process></bpmn:definitions>"
    return etree.fromstring(xml.encode()).getroottree()


def codes(body: str, executable: str = "true") -> dict[str, str]:
    t = tree(body, executable)
    found = normalize(t, "f.bpmn") + lint(t, "f.bpmn")
    return {p.code: p.severity for p in found}


START_END = '<bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>' \
            '<bpmn:endEvent id="e"><bpmn:incoming>z</bpmn:incoming></bpmn:endEvent>'


@pytest.mark.parametrize(("juel", "data", "expected"), [
    ("${approved}", {"approved": True}, True),
    ("#{!approved}", {"approved": "false"}, True),
    ("${amount >= 10000 && level eq 'A'}", {"amount": "12000", "level": "A"}, True),
    ("${a || !b}", {"a": False, "b": False}, True),
    ("${users.size() == approvedCounter}", {"users": ["x", "y"], "approvedCounter": 2}, True),
    ("${!clarified.equals('yes')}", {"clarified": "no"}, True),
    ('${customer.prop("age").numberValue() >= 21}', {"customer": {"age": 30}}, True),
    ("${pass==1}", {"pass": "1"}, True),
    ("${empty list}", {"list": None}, True),
    ("${x gt 3 and y le 2}", {"x": 4, "y": 2}, True),
    ("${note == 'a && b'}", {"note": "a && b"}, True),  # nothing is rewritten inside strings
    ("=fraud", {"fraud": True}, True),
    ("bpmn:getDataObject('clarified') = 'no'", {"clarified": "no"}, True),
    ("approved == True", {"approved": True}, True),  # plain Python from SpiffWorkflow files stays as is
    ("not done", {"done": False}, True),
])
def test_translation(juel: str, data: dict, expected: object) -> None:
    python = translate_expression(juel)
    assert make_script_engine().environment.evaluate(python, dict(data)) == expected


@pytest.mark.parametrize("python", ["approved == True", "not done", "product_info.color == True"])
def test_python_is_kept_as_written(python: str) -> None:
    assert translate_expression(python) == python


@pytest.mark.parametrize("text", ["${reservationService.showUp()}", "Service Level == 'Premium'",
                                  'Vacation Approval = "Approved"', "${a == }", "${x} and ${y}"])
def test_untranslatable_expressions_are_refused(text: str) -> None:
    with pytest.raises(UntranslatableExpression):
        translate_expression(text)


def test_timer_values_are_not_tested_for_truth() -> None:
    assert translate_expression("${reportBackTimeout}", boolean=False) == "reportBackTimeout"


@pytest.mark.parametrize(("text", "quoted"), [("PT10M", "'PT10M'"), ("P7D", "'P7D'"), ("R6/P1D", "'R6/P1D'"),
                                              ("2026-01-01T10:00:00Z", "'2026-01-01T10:00:00Z'"),
                                              ('"PT1S"', None), ("1w", None), ("0/5 0/1 * 1/1 * ?", None)])
def test_bare_iso_timers_are_quoted(text: str, quoted: str | None) -> None:
    assert quote_timer(text) == quoted


def test_vendor_multi_instance_and_missing_error_are_adapted() -> None:
    t = tree(START_END + """
      <bpmn:userTask id="sign" activiti:assignee="${user}"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing>
        <bpmn:multiInstanceLoopCharacteristics isSequential="false" activiti:collection="${users}"
                                               activiti:elementVariable="user"/></bpmn:userTask>
      <bpmn:endEvent id="err"><bpmn:incoming>b</bpmn:incoming>
        <bpmn:errorEventDefinition errorRef="PAYMENT_REJECT"/></bpmn:endEvent>""")
    problems = normalize(t, "f.bpmn")
    assert {p.code for p in problems} == {"adapted-multi-instance", "created-reference"}
    mi = t.getroot().find(".//{*}multiInstanceLoopCharacteristics")
    assert mi.findtext("{*}loopDataInputRef") == "users" and mi.find("{*}inputDataItem").get("id") == "user"
    error = t.getroot().find("{*}error")
    assert error is not None and error.get("errorCode") == "PAYMENT_REJECT"


def test_non_python_script_becomes_external_work() -> None:
    t = tree(START_END + '<bpmn:scriptTask id="g" scriptFormat="groovy"><bpmn:incoming>a</bpmn:incoming>'
             "<bpmn:outgoing>z</bpmn:outgoing><bpmn:script>println 'x'</bpmn:script></bpmn:scriptTask>")
    assert [p.code for p in normalize(t, "f.bpmn")] == ["script-as-external"]
    assert t.getroot().find(".//{*}serviceTask").get("id") == "g" and t.getroot().find(".//{*}script") is None


FLOWS = '<bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="z" sourceRef="t" targetRef="e"/>'


@pytest.mark.parametrize(("element", "code"), [
    ('<bpmn:intermediateThrowEvent id="t"><bpmn:linkEventDefinition name="x"/></bpmn:intermediateThrowEvent>',
     "link-event"),
    ('<bpmn:intermediateThrowEvent id="t"><bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>',
     "compensation"),
    ('<bpmn:complexGateway id="t"/>', "complex-gateway"),
    ('<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition><bpmn:timeDate/></bpmn:timerEventDefinition>'
     "</bpmn:intermediateCatchEvent>", "empty-timer"),
    ('<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition><bpmn:timeDate>0 0 12 * * ?</bpmn:timeDate>'
     "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>", "cron-timer"),
])
def test_unsupported_constructs_are_errors(element: str, code: str) -> None:
    found = codes(START_END + element + FLOWS)
    assert found.get(code) == "error", found


def test_gateway_without_conditions_names_gateway_and_flow() -> None:
    t = tree(START_END + """<bpmn:exclusiveGateway id="gw" name="同意?"/><bpmn:endEvent id="e2"/>
      <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="gw"/><bpmn:sequenceFlow id="z" sourceRef="gw" targetRef="e"/>
      <bpmn:sequenceFlow id="no" name="不同意" sourceRef="gw" targetRef="e2"/>""")
    adapted = normalize(t, "f.bpmn")
    problems = [p for p in adapted if p.code == "missing-condition"]
    assert len(problems) == 1 and "同意?" in problems[0].message and problems[0].line is not None
    assert problems[0].severity == "warning" and problems[0].element_id == "z"
    assert [p.element_id for p in adapted if p.code == "unreachable-flow"] == ["no"]


def test_dangling_references_and_duplicate_ids() -> None:
    found = codes(START_END + '<bpmn:sequenceFlow id="a" sourceRef="s" targetRef="nowhere"/>'
                  '<bpmn:task id="s2"/><bpmn:task id="s2"/><bpmn:sequenceFlow id="z" sourceRef="s" targetRef="e"/>')
    assert found["dangling-reference"] == "error" and found["duplicate-id"] == "error"


def test_implicit_split_and_conditional_flow_from_task_are_warnings() -> None:
    split = START_END + '<bpmn:task id="t"/><bpmn:endEvent id="e2"/>' \
        '<bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="z" sourceRef="t" targetRef="e"/>' \
        '<bpmn:sequenceFlow id="y" sourceRef="t" targetRef="e2"/>'
    assert codes(split)["implicit-split"] == "warning"
    conditional = split.replace('targetRef="e2"/>', 'targetRef="e2"><bpmn:conditionExpression>x</bpmn:conditionExpression>'
                                                    "</bpmn:sequenceFlow>")
    assert codes(conditional)["conditional-flow-from-task"] == "warning"


def test_diagram_only_processes_are_warned_not_linted() -> None:
    found = codes('<bpmn:complexGateway id="g"/>', executable="false")
    assert found == {"not-executable": "warning"}
    assert executable_process_ids(tree("", executable="false")) == []
    assert executable_process_ids(tree(START_END)) == ["p"]
    assert executable_process_ids(tree("")) == []  # an empty pool has nothing to run
