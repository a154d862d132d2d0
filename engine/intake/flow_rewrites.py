"""Sequence-flow semantics of Camunda 7 and Activiti/Flowable, made explicit for SpiffWorkflow:

- a gateway's outgoing flow without a condition (and not the default) counts as true; an exclusive
  gateway takes the first true flow in the file's order (SpiffWorkflow would go by the diagram's
  height), so each flow's condition also says that no flow before it was taken;
- conditional flows out of a task or event (BPMN's implicit inclusive split) leave through an
  inclusive gateway inserted after it, which also takes over the task's default flow;
- an event naming a shared definition (eventDefinitionRef) gets a copy of that definition.

Each adaptation is a warning on the element a designer clicks. The first two run before expressions
are translated (the conditions they write, True and False, are Python already); `guard_conditions`
runs after, when every condition a guard repeats is Python."""

from __future__ import annotations

import copy

from lxml import etree

from engine.core.problems import ERROR, WARNING, Problem
from engine.intake.expressions import BPMN_NS, located
from engine.intake.tree import label, local

_FLOW_SOURCES = ("task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask", "receiveTask",
                 "businessRuleTask", "callActivity", "subProcess", "transaction", "intermediateCatchEvent",
                 "intermediateThrowEvent")
_AFTER = "{urn:govflow:intake}after"  # earlier flows of an exclusive gateway, until guard_conditions


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def condition_text(flow: etree._Element) -> str | None:
    """The flow's condition, or None when it has none (an empty conditionExpression counts as none)."""
    cond = flow.find(_q("conditionExpression"))
    text = (cond.text or "").strip() if cond is not None else ""
    return text or None


def _set_condition(flow: etree._Element, text: str) -> None:
    cond = flow.find(_q("conditionExpression"))
    if cond is None:
        cond = etree.SubElement(flow, _q("conditionExpression"))
        cond.tail = flow.text
    cond.text = text


def _outgoing(scope: etree._Element) -> dict[str, list[etree._Element]]:
    found: dict[str, list[etree._Element]] = {}
    for flow in scope.iterfind(_q("sequenceFlow")):
        found.setdefault(flow.get("sourceRef", ""), []).append(flow)
    return found


def _scopes(root: etree._Element) -> list[etree._Element]:
    return [el for el in root.iter(_q("process"), _q("subProcess"), _q("transaction"), _q("adHocSubProcess"))]


def split_conditional_flows(root: etree._Element, filename: str) -> list[Problem]:
    """A task or event with conditional outgoing flows gets an inclusive gateway after it."""
    problems: list[Problem] = []
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for scope in _scopes(root):
        by_id = {el.get("id"): el for el in scope if isinstance(el.tag, str)}
        for source_id, flows in _outgoing(scope).items():
            source = by_id.get(source_id)
            if source is None or local(source) not in _FLOW_SOURCES:
                continue
            if not any(condition_text(f) for f in flows):
                continue
            gateway_id = _fresh(f"{source_id}_split", ids)
            gateway = etree.Element(_q("inclusiveGateway"), id=gateway_id, name="")
            if source.get("default"):
                gateway.set("default", source.attrib.pop("default"))
            source.addnext(gateway)
            link = etree.Element(_q("sequenceFlow"), id=_fresh(f"{source_id}_to_split", ids),
                                 sourceRef=source_id, targetRef=gateway_id)
            gateway.addnext(link)
            for flow in flows:
                flow.set("sourceRef", gateway_id)
                if condition_text(flow) is None and flow.get("id") != gateway.get("default"):
                    _set_condition(flow, "True")  # an unconditioned flow beside them is always taken
            problems.append(located(WARNING, "conditional-flow-from-task",
                                    f"'{label(source)}' has conditional outgoing flows: every flow whose "
                                    "condition holds is taken, as if an inclusive gateway stood after it "
                                    "(govflow adds one)", filename, source))
    return problems


def _fresh(wanted: str, ids: set[str | None]) -> str:
    found, n = wanted, 1
    while found in ids:
        n += 1
        found = f"{wanted}_{n}"
    ids.add(found)
    return found


def unconditioned_gateway_flows(root: etree._Element, filename: str) -> list[Problem]:
    """Flows without a condition out of exclusive and inclusive gateways count as true."""
    problems: list[Problem] = []
    for scope in _scopes(root):
        by_id = {el.get("id"): el for el in scope if isinstance(el.tag, str)}
        for source_id, flows in _outgoing(scope).items():
            gateway = by_id.get(source_id)
            if gateway is None or local(gateway) not in ("exclusiveGateway", "inclusiveGateway") or len(flows) < 2:
                continue
            choices = [f for f in flows if f.get("id") != gateway.get("default")]
            bare = [f for f in choices if condition_text(f) is None]
            if not bare:
                continue
            if local(gateway) == "inclusiveGateway":
                for flow in bare:
                    _set_condition(flow, "True")
                    problems.append(_taken(flow, gateway, filename, "always taken"))
            else:
                problems += _first_true_wins(gateway, choices, filename)
    return problems


def _taken(flow: etree._Element, gateway: etree._Element, filename: str, how: str) -> Problem:
    return located(WARNING, "missing-condition", f"flow '{label(flow)}' leaving gateway '{label(gateway)}' "
                   f"({gateway.get('id')}) has no condition, so it counts as true ({how}), as in Camunda and "
                   "Activiti; give it a condition or make it the gateway's default flow if that is not "
                   "meant", filename, flow)


def _first_true_wins(gateway: etree._Element, choices: list[etree._Element], filename: str) -> list[Problem]:
    """Exclusive gateway: flow i is taken when its condition holds and no earlier flow's does."""
    problems: list[Problem] = []
    earlier: list[str] = []
    for flow in choices:
        if earlier and earlier[-1] == "":  # an earlier flow without a condition is always taken
            _set_condition(flow, "False")
            problems.append(located(WARNING, "unreachable-flow", f"flow '{label(flow)}' leaving gateway "
                                    f"'{label(gateway)}' is never taken: an earlier flow without a condition "
                                    "is always taken first", filename, flow))
            continue
        if earlier:
            flow.set(_AFTER, " ".join(earlier))
        if condition_text(flow) is None:
            _set_condition(flow, "True")
            problems.append(_taken(flow, gateway, filename, "taken when no flow before it is"))
            earlier.append("")
            continue
        earlier.append(flow.get("id", ""))
    return problems


def guard_conditions(root: etree._Element) -> None:
    """After translation: each flow of such a gateway also requires that no earlier flow was taken."""
    guarded = [f for f in root.iter(_q("sequenceFlow")) if f.get(_AFTER) is not None]
    texts = {f.get("id"): condition_text(f) for f in root.iter(_q("sequenceFlow"))}
    for flow in guarded:
        before = [texts.get(i) for i in flow.attrib.pop(_AFTER).split()]
        own = texts.get(flow.get("id")) or "True"
        parts = [f"({t})" for t in before if t]
        if parts:
            _set_condition(flow, f"not ({' or '.join(parts)})" if own == "True" else
                           f"({own}) and not ({' or '.join(parts)})")


def resolve_event_definition_refs(root: etree._Element, filename: str) -> list[Problem]:
    """<eventDefinitionRef>x</eventDefinitionRef> becomes a copy of the shared definition x."""
    problems: list[Problem] = []
    definitions = {el.get("id"): el for el in root if isinstance(el.tag, str) and local(el).endswith("EventDefinition")}
    for ref in list(root.iter(_q("eventDefinitionRef"))):
        event = ref.getparent()
        target = definitions.get((ref.text or "").strip())
        if target is None:
            problems.append(located(ERROR, "event-definition-ref", f"the event refers to the shared event "
                                    f"definition '{(ref.text or '').strip()}', which this file does not define; "
                                    "define the trigger inside the event", filename, event))
            continue
        own = copy.deepcopy(target)
        own.set("id", f"{target.get('id')}_{event.get('id')}")
        ref.addprevious(own)
        event.remove(ref)
        problems.append(located(WARNING, "resolved-event-definition", f"the event uses the shared "
                                f"{local(target)} '{target.get('id')}'", filename, event))
    return problems
