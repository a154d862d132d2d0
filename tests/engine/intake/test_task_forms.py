"""Which form each task gets: vendor forms read from the file, shipped forms named by key, and generic
forms of what the conditions after a task read, labelled by the gateway and its flows."""

from __future__ import annotations

from typing import Any

from engine.intake import batch

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
      'xmlns:activiti="http://activiti.org/bpmn"')


def plans(body: str, *others: tuple[str, bytes]) -> dict[str, Any]:
    xml = (f'<bpmn:definitions {NS} id="d" targetNamespace="t"><bpmn:process id="p" isExecutable="true">'
           f'<bpmn:startEvent id="s"/>{body}</bpmn:process></bpmn:definitions>').encode()
    checked = batch.check([("p.bpmn", xml), *others])
    return checked.forms["p.bpmn"]


def fields(plan: Any) -> list[tuple[str, str, str]]:
    return [(f["name"], f["type"], f["label"]["zh"]) for f in plan.definition["fields"]]


GATEWAY = ('<bpmn:userTask id="t" name="审批"/><bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t"/>'
           '<bpmn:sequenceFlow id="b" sourceRef="t" targetRef="g"/><bpmn:exclusiveGateway id="g" name="是否同意" '
           'default="no"/><bpmn:sequenceFlow id="yes" name="同意" sourceRef="g" targetRef="e1">'
           "<bpmn:conditionExpression>{cond}</bpmn:conditionExpression></bpmn:sequenceFlow>"
           '<bpmn:sequenceFlow id="no" name="退回" sourceRef="g" targetRef="e2"/>'
           '<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>')


def test_a_yes_no_test_gets_a_decision_labelled_by_the_gateway_and_its_flows() -> None:
    plan = plans(GATEWAY.format(cond="${approved}"))["t"]
    assert plan.source == "generic" and plan.reads == ["approved"]
    assert fields(plan) == [("approved", "decision", "是否同意"), ("opinion", "opinion", "意见")]
    choices = plan.definition["fields"][0]["choices"]
    assert [(c["value"], c["label"]["zh"]) for c in choices] == [(True, "同意"), (False, "退回")]


def test_equal_values_become_choices_and_ordered_numbers_a_number() -> None:
    two = GATEWAY.format(cond="${result == 'pass'}").replace(
        '<bpmn:sequenceFlow id="no" name="退回" sourceRef="g" targetRef="e2"/>',
        '<bpmn:sequenceFlow id="no" name="退回" sourceRef="g" targetRef="e2"><bpmn:conditionExpression>'
        "${result == 'return'}</bpmn:conditionExpression></bpmn:sequenceFlow>")
    choice = plans(two)["t"]
    assert fields(choice)[0] == ("result", "choice", "是否同意")
    assert [(c["value"], c["label"]["zh"]) for c in choice.definition["fields"][0]["choices"]] == [
        ("pass", "同意"), ("return", "退回")]
    one = plans(GATEWAY.format(cond="${result == 'pass'}"))["t"]
    assert fields(one)[0] == ("result", "text", "result"), "one value tested for is entered, not offered"
    number = plans(GATEWAY.format(cond="${amount &gt; 1000}"))["t"]
    assert fields(number)[0] == ("amount", "number", "amount")
    assert all(f.get("required") for f in number.definition["fields"][:-1]), "what a gateway reads is required"


def test_records_and_computed_values_are_not_asked_for() -> None:
    record = plans(GATEWAY.format(cond="${customer.age &gt;= 21}"))["t"]
    assert record.source == "none", "customer is a record no field can enter"
    computed = GATEWAY.replace('<bpmn:endEvent id="e1"/>', '<bpmn:endEvent id="e1"/><bpmn:scriptTask id="sc" '
                               'scriptFormat="python"><bpmn:script>approved = True</bpmn:script></bpmn:scriptTask>')
    assert plans(computed.format(cond="${approved}"))["t"].source == "none"


def test_a_key_naming_a_shipped_form_and_a_vendor_form_take_precedence() -> None:
    named = plans(GATEWAY.format(cond="${approved}").replace('name="审批"', 'name="审批" camunda:formKey="leave_review"'))
    assert named["t"].key == "leave_review" and named["t"].source == "generic"  # the deployment prefers forms/
    vendor = GATEWAY.format(cond="${approved}").replace(
        '<bpmn:userTask id="t" name="审批"/>', '<bpmn:userTask id="t" name="审批"><bpmn:extensionElements>'
        '<activiti:formProperty id="approved" name="审批意见" type="boolean" required="true"/>'
        "</bpmn:extensionElements></bpmn:userTask>")
    plan = plans(vendor)["t"]
    assert plan.source == "form-property" and fields(plan)[0] == ("approved", "decision", "审批意见")


def test_a_form_field_with_a_space_is_renamed_and_feel_conditions_find_it() -> None:
    body = ('<bpmn:userTask id="t" name="Decide"><bpmn:extensionElements><camunda:formData>'
            '<camunda:formField id="Vacation Approval" label="Approval" type="string"/></camunda:formData>'
            '</bpmn:extensionElements></bpmn:userTask><bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t"/>'
            '<bpmn:sequenceFlow id="b" sourceRef="t" targetRef="g"/><bpmn:exclusiveGateway id="g" default="n"/>'
            '<bpmn:sequenceFlow id="y" sourceRef="g" targetRef="e"><bpmn:conditionExpression>'
            '=Vacation Approval = "Approved"</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="n" sourceRef="g" targetRef="e"/><bpmn:endEvent id="e"/>')
    xml = (f'<bpmn:definitions {NS} id="d" targetNamespace="t"><bpmn:process id="p" isExecutable="true">'
           f'<bpmn:startEvent id="s"/>{body}</bpmn:process></bpmn:definitions>').encode()
    checked = batch.check([("p.bpmn", xml)])
    assert checked.forms["p.bpmn"]["t"].renamed == {"Vacation Approval": "Vacation_Approval"}
    assert [p.format() for p in checked.problems if p.severity == "error"] == []
    condition = checked.bpmn["p.bpmn"].getroot().findtext(".//{*}conditionExpression")
    assert "Vacation_Approval == 'Approved'" in condition
