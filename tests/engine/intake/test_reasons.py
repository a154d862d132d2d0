"""Refusals name the real cause: empty pools, CMMN calls, duplicate ids SpiffWorkflow cannot tell apart."""

from __future__ import annotations

from lxml import etree

from engine.core.problems import ERROR, WARNING
from engine.intake.dialects import normalize
from engine.intake.lint import executable_process_ids, lint, why_nothing_runs

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = f'xmlns:bpmn="{BPMN}" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ' \
     'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"'
RUNS = '<bpmn:startEvent id="{p}_s"/><bpmn:endEvent id="{p}_e"/>' \
       '<bpmn:sequenceFlow id="{p}_f" sourceRef="{p}_s" targetRef="{p}_e"/>'


def doc(body: str) -> etree._ElementTree:
    return etree.fromstring(f'<bpmn:definitions {NS} id="d" targetNamespace="t">{body}</bpmn:definitions>'
                            .encode()).getroottree()


def checked(body: str) -> list:
    tree = doc(body)
    return normalize(tree, "f.bpmn") + lint(tree, "f.bpmn")


def test_empty_pools_are_not_executable_and_say_so() -> None:
    body = '<bpmn:collaboration id="c"><bpmn:participant id="a" processRef="p1"/>' \
           '<bpmn:participant id="b" processRef="p2"/></bpmn:collaboration>' \
           '<bpmn:process id="p1" name="Citizen" isExecutable="true"><bpmn:laneSet id="ls"/></bpmn:process>' \
           '<bpmn:process id="p2" name="Office" isExecutable="false">' + RUNS.format(p="p2") + "</bpmn:process>"
    tree = doc(body)
    problems = lint(tree, "f.bpmn")
    assert executable_process_ids(tree) == []
    assert sorted(p.code for p in problems) == ["empty-process", "not-executable"]
    assert not [p for p in problems if p.code == "no-start-event"]
    reason = why_nothing_runs(tree)
    assert "'Citizen' has no steps (an empty pool)" in reason and "'Office' is marked" in reason


def test_a_pool_stub_beside_a_running_process_leaves_the_process_deployable() -> None:
    body = '<bpmn:process id="stub"/><bpmn:process id="p">' + RUNS.format(p="p") + "</bpmn:process>"
    tree = doc(body)
    assert executable_process_ids(tree) == ["p"]
    assert [(p.code, p.severity) for p in lint(tree, "f.bpmn")] == [("empty-process", WARNING)]


def test_a_cmmn_case_call_is_named_as_such() -> None:
    body = '<bpmn:process id="p"><bpmn:startEvent id="s"/><bpmn:callActivity id="c" name="Check" ' \
           'camunda:caseRef="loanCase"/><bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" ' \
           'targetRef="c"/><bpmn:sequenceFlow id="f2" sourceRef="c" targetRef="e"/></bpmn:process>'
    [problem] = [p for p in checked(body) if p.severity == ERROR]
    assert problem.code == "cmmn-case" and problem.element_id == "c"
    assert "CMMN case 'loanCase'" in problem.message


def test_ids_repeated_where_spiffworkflow_keeps_them_apart_are_tolerated() -> None:
    extension = '<bpmn:extensionElements><bpmn:Model id="p_s"/></bpmn:extensionElements>'
    body = (f'<bpmn:process id="p">{extension}' + RUNS.format(p="p") + "</bpmn:process>"
            + '<bpmn:process id="q"><bpmn:startEvent id="p_s"/><bpmn:endEvent id="q_e"/>'
            '<bpmn:sequenceFlow id="q_f" sourceRef="p_s" targetRef="q_e"/></bpmn:process>'
            + '<bpmndi:BPMNDiagram id="p"><bpmndi:BPMNPlane id="pl" bpmnElement="p"/></bpmndi:BPMNDiagram>')
    problems = checked(body)
    assert [p.code for p in problems if p.severity == ERROR] == []
    [tolerated] = [p for p in problems if p.code == "tolerated-duplicate-id"]
    assert tolerated.severity == WARNING and "different pool" in tolerated.message


def test_ids_repeated_within_one_process_or_at_the_top_are_refused() -> None:
    twice = '<bpmn:process id="p">' + RUNS.format(p="p") + '<bpmn:task id="p_s"/></bpmn:process>'
    assert [p.code for p in checked(twice) if p.severity == ERROR] == ["duplicate-id"]
    top = '<bpmn:message id="m"/><bpmn:signal id="m"/><bpmn:process id="p">' + RUNS.format(p="p") + "</bpmn:process>"
    assert [p.code for p in checked(top) if p.severity == ERROR] == ["duplicate-id"]


def test_task_inputs_and_outputs_are_read_by_their_names() -> None:
    from engine.intake import batch

    body = ('<bpmn:process id="p"><bpmn:startEvent id="s"/><bpmn:userTask id="t"><bpmn:ioSpecification id="io">'
            '<bpmn:dataOutput id="Gen_1" name="amount"/><bpmn:dataOutput id="Gen_2" name="Badge Number"/>'
            '<bpmn:dataOutput id="Gen_3" name="approved"/><bpmn:outputSet id="os"><bpmn:dataOutputRefs>Gen_1'
            '</bpmn:dataOutputRefs><bpmn:dataOutputRefs>Gen_2</bpmn:dataOutputRefs><bpmn:dataOutputRefs>Gen_3'
            '</bpmn:dataOutputRefs></bpmn:outputSet></bpmn:ioSpecification><bpmn:dataOutputAssociation id="a">'
            '<bpmn:sourceRef>Gen_3</bpmn:sourceRef><bpmn:targetRef>ref</bpmn:targetRef></bpmn:dataOutputAssociation>'
            '</bpmn:userTask><bpmn:dataObject id="Obj_1" name="approved"/><bpmn:dataObjectReference id="ref" '
            'dataObjectRef="Obj_1"/><bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/></bpmn:process>')
    xml = f'<bpmn:definitions {NS} id="d" targetNamespace="t">{body}</bpmn:definitions>'.encode()
    checked = batch.check([("f.bpmn", xml)])
    assert [p.format() for p in checked.problems if p.severity == ERROR] == []
    outputs = [o.get("id") for o in checked.bpmn["f.bpmn"].getroot().iter(f"{{{BPMN}}}dataOutput")]
    assert outputs == ["amount", "Badge_Number"], "the one named like its data object is that data object"
    assert checked.names["Badge Number"] == "Badge_Number"
    refs = [r.text for r in checked.bpmn["f.bpmn"].getroot().iter(f"{{{BPMN}}}dataOutputRefs")]
    assert refs == ["amount", "Badge_Number"]
