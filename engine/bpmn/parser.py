"""SpiffWorkflow parser that also reads the assignment and form extensions other modelers write, DMN
decisions the way Camunda and Spiff call them, error and escalation starts, and implicit ends."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.control import BpmnStartTask, SimpleBpmnTask, _EndJoin
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, SpiffProcessParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser

from engine.bpmn import decisions
from engine.bpmn.specs import ExternalTask

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ASSIGNMENT_NAMESPACES = (
    "http://camunda.org/schema/1.0/bpmn",
    "http://activiti.org/bpmn",
    "http://flowable.org/bpmn",
)
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
ATTRIBUTES = ("assignee", "candidateGroups", "candidateUsers", "formKey", "dueDate", "priority",
              "initiator", "followUpDate", "resultVariable", "mapDecisionResult")
LIST_ATTRIBUTES = ("candidateGroups", "candidateUsers")
_OWNER_ITEM = re.compile(r"^\s*(user|group)\s*\(\s*([^)]*?)\s*\)\s*$")


def split_list(value: str) -> list[str]:
    """Comma-separated candidate list, blanks dropped (modelers write 'a, b,')."""
    return [item.strip() for item in value.split(",") if item.strip()]


def read_vendor_extensions(node: etree._Element) -> dict[str, Any]:
    """Assignment, form, due date, priority and properties from Camunda/Activiti/Flowable/Zeebe/BPMN."""
    found: dict[str, Any] = {}
    for ns in ASSIGNMENT_NAMESPACES:
        for name in ATTRIBUTES:
            value = node.get(f"{{{ns}}}{name}")
            if value is not None and value.strip():
                found[name] = split_list(value) if name in LIST_ATTRIBUTES else value.strip()
    if found.get("assignee") == "$INITIATOR":
        found["assignee"] = _initiator_expression(node)
    _read_zeebe(node, found)
    _read_resource_roles(node, found)
    properties = _read_properties(node)
    if properties:
        found["properties"] = properties
    return found


def _initiator_expression(node: etree._Element) -> str:
    """Flowable Modeler's `$INITIATOR` placeholder: the variable the process's start event names as
    initiator (the engine fills it with the starting user), else the literal stays."""
    for ancestor in node.iterancestors(f"{{{BPMN_NS}}}process"):
        for start in ancestor.iterfind(f"{{{BPMN_NS}}}startEvent"):
            for ns in ASSIGNMENT_NAMESPACES:
                variable = start.get(f"{{{ns}}}initiator")
                if variable and variable.isidentifier():
                    return "${" + variable + "}"
    return "$INITIATOR"


def _read_zeebe(node: etree._Element, found: dict[str, Any]) -> None:
    for child in node.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{ZEEBE_NS}}}*"):
        local = etree.QName(child).localname
        if local == "assignmentDefinition":
            for name in ("assignee", "candidateGroups", "candidateUsers"):
                value = (child.get(name) or "").lstrip("=").strip()
                if value:
                    found[name] = split_list(value) if name in LIST_ATTRIBUTES else value
        elif local == "formDefinition" and child.get("formKey"):
            found["formKey"] = child.get("formKey")
        elif local == "taskSchedule" and child.get("dueDate"):
            found["dueDate"] = child.get("dueDate", "").lstrip("=")
        elif local == "priorityDefinition" and child.get("priority"):
            found["priority"] = child.get("priority")
        elif local == "calledDecision" and child.get("resultVariable"):  # engine/bpmn/decisions.py
            found["resultVariable"] = child.get("resultVariable")
            found["mapDecisionResult"] = "zeebe"


def _read_resource_roles(node: etree._Element, found: dict[str, Any]) -> None:
    """Standard humanPerformer/potentialOwner (Camunda 7's reading): 'user(a), group(b)', plain names.
    A humanPerformer is the person who does the task: its value, literal or expression, is the
    assignee. A potentialOwner's plain name is a candidate group; a plain expression is kept apart
    (candidateOwners) because it may name the starting user (${initiator}) rather than a group."""
    for role in ("humanPerformer", "performer", "potentialOwner"):
        for expr in node.iterfind(f"{{{BPMN_NS}}}{role}//{{{BPMN_NS}}}formalExpression"):
            for item in split_list(expr.text or ""):
                match = _OWNER_ITEM.match(item)
                kind, value = (match.group(1), match.group(2)) if match else (None, item)
                if not value:
                    continue
                if role != "potentialOwner" and kind != "group":
                    found.setdefault("assignee", value)
                    continue
                key = {"user": "candidateUsers", "group": "candidateGroups"}.get(kind or "") or (
                    "candidateOwners" if re.match(r"[$#]\{", value) else "candidateGroups")
                if value not in found.setdefault(key, []):
                    found[key].append(value)


def _read_properties(node: etree._Element) -> dict[str, str]:
    props: dict[str, str] = {}
    for ns in ASSIGNMENT_NAMESPACES + (ZEEBE_NS,):
        for prop in node.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{ns}}}properties/{{{ns}}}property"):
            if prop.get("name"):
                props[prop.get("name", "")] = prop.get("value", "")
    return props


class _VendorMixin:
    """Adds vendor extensions under the 'govflow' key of every task spec's extensions."""

    node: etree._Element

    def parse_extensions(self, node: etree._Element | None = None) -> dict[str, Any]:
        ext = dict(super().parse_extensions(node))  # type: ignore[misc]
        element = self.node if node is None else node
        vendor = read_vendor_extensions(element)
        parent = element.getparent()
        if etree.QName(element).localname == "startEvent" and parent is not None \
                and parent.get("triggeredByEvent") == "true":  # engine/bpmn/event_subprocesses.py
            vendor["interrupting"] = (element.get("isInterrupting") or "true").strip().lower() != "false"
        if vendor:
            ext["govflow"] = vendor
        return ext

    def handles_multiple_outgoing(self) -> bool:
        """Several unconditioned flows out of an activity are BPMN's implicit parallel split; flows with
        conditions there (implicit inclusive split) stay refused."""
        if super().handles_multiple_outgoing():  # type: ignore[misc]
            return True
        flows = self.process_parser.get_outgoing_sequence_flows(self.bpmn_id)  # type: ignore[attr-defined]
        return all(flow.find(f"{{{BPMN_NS}}}conditionExpression") is None for flow in flows)


class _ServiceTaskParser(ServiceTaskParser):
    """A service task without a govflow/spiff operator waits as external work instead of failing."""

    def create_task(self) -> Any:
        if self.parse_extensions().get("serviceTaskOperator") is not None:
            return super().create_task()
        return ExternalTask(self.spec, self.bpmn_id, **self.bpmn_attributes)


class _SendTaskParser(SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("sendTask")][0]):  # type: ignore[misc]
    """A send task with no message to throw (Camunda 8 job workers, mail senders) is external work too."""

    def create_task(self) -> Any:
        if self.node.get("messageRef") or self.xpath("./bpmn:messageEventDefinition"):
            return super().create_task()
        return ExternalTask(self.spec, self.bpmn_id, **self.bpmn_attributes)


_StartParser = SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("startEvent")][0]


class _StartEventParser(_StartParser):  # type: ignore[misc,valid-type]
    """Start events also read error and escalation triggers (event sub-processes start on them);
    SpiffWorkflow's parser skips them, so such an event sub-process started with the instance."""

    def create_task(self) -> Any:
        event_definition = self.get_event_definition([MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH,
                                                      CONDITIONAL_EVENT_XPATH, ERROR_EVENT_XPATH,
                                                      ESCALATION_EVENT_XPATH])
        task = self._create_task(event_definition)
        self.spec.start.connect(task)
        return task


class _ProcessParser(SpiffProcessParser):
    """A flow node without outgoing sequence flows ends its path (BPMN's implicit end); SpiffWorkflow
    would leave such an instance running for ever with nothing left to do."""

    def _parse(self) -> None:
        super()._parse()
        spec = self.spec
        triggered = {id(spec.task_specs.get(name)) for name in spec.start.trigger_specs}
        for name in spec.start.trigger_specs:
            # Wire event sub-processes now, one way (the start does not spawn them): SpiffWorkflow
            # would connect them when first triggered, mutating a spec that is shared by every
            # instance of the version and stored apart from the instance's state.
            sub = spec.task_specs[name]
            if spec.start not in sub.inputs:
                sub._inputs.append(spec.start.name)
                sub.connect(spec.end)
        inner = {getattr(ts, "task_spec", None) for ts in spec.task_specs.values()}
        for ts in list(spec.task_specs.values()):
            if ts.outputs or ts.name in inner or id(ts) in triggered:
                continue
            if isinstance(ts, BpmnStartTask | _EndJoin | SimpleBpmnTask):
                continue
            ts.connect(spec.end)


def _with_vendor(parser_cls: type) -> type:
    return type(f"Govflow{parser_cls.__name__}", (_VendorMixin, parser_cls), {})


class GovflowParser(SpiffBpmnParser):
    """SpiffBpmnParser plus vendor assignment extensions, tolerant service/send tasks and implicit ends."""

    OVERRIDE_PARSER_CLASSES = {
        tag: (_with_vendor(parser_cls), spec_cls)
        for tag, (parser_cls, spec_cls) in SpiffBpmnParser.OVERRIDE_PARSER_CLASSES.items()
    }
    OVERRIDE_PARSER_CLASSES[full_tag("serviceTask")] = (
        _with_vendor(_ServiceTaskParser),
        SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("serviceTask")][1],
    )
    OVERRIDE_PARSER_CLASSES[full_tag("businessRuleTask")] = (_with_vendor(decisions.DecisionTaskParser),
                                                             decisions.DecisionTask)
    OVERRIDE_PARSER_CLASSES[full_tag("startEvent")] = (
        _with_vendor(_StartEventParser),
        SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("startEvent")][1],
    )
    OVERRIDE_PARSER_CLASSES[full_tag("sendTask")] = (
        _with_vendor(_SendTaskParser),
        SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("sendTask")][1],
    )
    PROCESS_PARSER_CLASS = _ProcessParser

    def add_dmn_xml(self, node: etree._Element, filename: str | None = None) -> None:
        """Every decision of the file, not only its first (engine/bpmn/decisions.py)."""
        decisions.add_dmn(self, node, filename)


__all__ = ["GovflowParser", "ValidationException", "read_vendor_extensions"]
