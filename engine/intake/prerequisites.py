"""What SpiffWorkflow 3.2.0's parser needs to build a process at all: one check per parser failure found
by probing (tests/engine/intake/test_lint.py keeps a model of each). Part of lint (engine/intake/lint.py),
which runs it on every executable process and collects what it adds."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from engine.core.problems import ERROR
from engine.intake.expressions import BPMN_NS
from engine.intake.tree import label, local, process_of, xpath

Add = Callable[[str, str, etree._Element, str], None]


class ParserPrerequisites:
    """The checks over one process; `add(severity, code, element, message)` records a located problem."""

    def __init__(self, ids: dict[str, etree._Element], add: Add):
        self.ids = ids
        self.add = add

    def check(self, process: etree._Element) -> None:
        """What SpiffWorkflow's parser needs to build the process at all (each one crashed it in a probe)."""
        self._loops_and_scopes(process)
        self._references(process)
        self._triggers(process)
        self._within_pool(process)
        self._scripts_and_kinds(process)
    def _loops_and_scopes(self, process: etree._Element) -> None:
        """Loops that can end, cancel events on transactions, sub-processes with an end, conditions present."""
        for mi in xpath(process, ".//bpmn:multiInstanceLoopCharacteristics"):
            self._multi_instance(mi)
        for loop in xpath(process, ".//bpmn:standardLoopCharacteristics"):
            if not any((c.text or "").strip() for c in loop if local(c) in ("loopMaximum", "loopCondition")):
                self.add(ERROR, "loop-without-condition", loop.getparent(), f"loop '{label(loop.getparent())}' "
                         "has neither a loop condition nor a maximum; give it one so the loop can end")
        for cancel in xpath(process, ".//bpmn:boundaryEvent[bpmn:cancelEventDefinition]"):
            host = self.ids.get(cancel.get("attachedToRef"))
            if host is not None and local(host) != "transaction":
                self.add(ERROR, "cancel-outside-transaction", cancel, "a cancel boundary event can only sit on "
                         "a transaction; use an error or signal boundary event here")
        for sub in xpath(process, ".//bpmn:subProcess|.//bpmn:transaction"):
            if xpath(sub, "./bpmn:startEvent") and not xpath(sub, "./bpmn:endEvent"):  # empty: no-start-event
                self.add(ERROR, "no-end-event", sub, f"sub-process '{label(sub)}' has no end event; add one")
        for cond in xpath(process, ".//bpmn:conditionalEventDefinition"):
            if not (cond.findtext(f"{{{BPMN_NS}}}condition") or "").strip():
                self.add(ERROR, "missing-condition", cond.getparent(), f"conditional event "
                         f"'{label(cond.getparent())}' has no condition; enter one such as `amount > 1000`")
    def _references(self, process: etree._Element) -> None:
        """Every reference names an element that exists."""
        for call in xpath(process, ".//bpmn:callActivity[not(normalize-space(@calledElement))]"):
            case = next((v for k, v in call.attrib.items() if etree.QName(k).localname == "caseRef"), None)
            if case:
                self.add(ERROR, "cmmn-case", call, f"call activity '{label(call)}' calls the CMMN case "
                         f"'{case}' (caseRef); govflow runs BPMN processes, not CMMN cases: call a process "
                         "(calledElement) instead")
                continue
            self.add(ERROR, "dangling-reference", call, f"call activity '{label(call)}' does not say which "
                     "process to call; choose the called process in the modeler")
        for ref in xpath(process, ".//bpmn:dataInputAssociation/bpmn:sourceRef"
                                   "|.//bpmn:dataOutputAssociation/bpmn:targetRef"):
            self._data_reference(ref)
        for ref in xpath(process, ".//bpmn:dataObjectReference"):
            if not self._data_object_in_scope(ref, ref.get("dataObjectRef")):
                self.add(ERROR, "dangling-reference", ref, f"data object reference '{label(ref)}' points to "
                         f"'{ref.get('dataObjectRef')}', which is no data object of this process")
        for definition in xpath(process, ".//bpmn:*[@messageRef or @signalRef or @errorRef or @escalationRef]"):
            self._typed_reference(definition)
        for kind in ("message", "signal"):
            for el in xpath(process, f".//bpmn:{kind}EventDefinition[not(@{kind}Ref)]"):
                self.add(ERROR, "dangling-reference", el.getparent(), f"{kind} event '{label(el.getparent())}' "
                         f"names no {kind}; choose the {kind} it sends or waits for")
    def _triggers(self, process: etree._Element) -> None:
        """What follows an event-based gateway waits for something; a boundary event has a trigger."""
        for gateway in xpath(process, ".//bpmn:eventBasedGateway"):
            for target in (self.ids.get(f.get("targetRef")) for f in xpath(process, ".//bpmn:sequenceFlow"
                                                                               "[@sourceRef=$g]", g=gateway.get("id"))):
                if target is not None and not (local(target) == "receiveTask" or xpath(
                        target, "self::bpmn:intermediateCatchEvent[bpmn:*[contains(local-name(), 'EventDefinition')]]")):
                    self.add(ERROR, "event-gateway-target", target, f"'{label(target)}' follows the event-based "
                             f"gateway '{label(gateway)}' but waits for nothing; put a message, timer or signal "
                             "catch event (or a receive task) after the gateway")
        for el in xpath(process, ".//bpmn:boundaryEvent[not(bpmn:*[contains(local-name(), 'EventDefinition')])]"):
            self.add(ERROR, "boundary-without-trigger", el, f"boundary event '{label(el)}' has no trigger; make "
                     "it a timer, message, signal, error or escalation boundary event")
    def _within_pool(self, process: etree._Element) -> None:
        """Sequence flows and boundary events stay inside their pool (between pools: message flows)."""
        own = {el.get("id") for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
        for el in xpath(process, ".//bpmn:sequenceFlow|.//bpmn:boundaryEvent"):
            refs = [el.get(a) for a in ("sourceRef", "targetRef", "attachedToRef") if el.get(a)]
            if any(r not in own and self.ids.get(r) is not None and process_of(self.ids[r]) is not process
                   for r in refs):
                self.add(ERROR, "dangling-reference", el, f"'{label(el)}' connects to an element of another pool; "
                         "between pools use a message flow instead")
    def _scripts_and_kinds(self, process: etree._Element) -> None:
        """Scripts that compile; no ad-hoc sub-process (experimental in SpiffWorkflow 3.2.0)."""
        for el in xpath(process, ".//bpmn:scriptTask/bpmn:script[normalize-space()]"):
            try:
                compile(el.text or "", "script", "exec")
            except SyntaxError as exc:
                self.add(ERROR, "script-syntax", el.getparent(), f"the script of '{label(el.getparent())}' is not "
                         f"valid Python (line {exc.lineno}: {exc.msg}); correct it before deploying")
        for el in xpath(process, ".//bpmn:adHocSubProcess"):
            self.add(ERROR, "ad-hoc-subprocess", el, "ad-hoc sub-processes are experimental in SpiffWorkflow "
                     "3.2.0 and fail at run time; model the tasks with an inclusive gateway instead")
    def _multi_instance(self, mi: etree._Element) -> None:
        task = mi.getparent()
        given = [local(c) for c in mi if local(c) in ("loopCardinality", "loopDataInputRef")
                 and (c.text or "").strip()]
        if len(given) != 1:
            self.add(ERROR, "multi-instance-input", task, f"multi-instance '{label(task)}' needs exactly one "
                     f"of a collection (loop input) or a number of instances (cardinality); it has {len(given)}")
        io = task.find(f"{{{BPMN_NS}}}ioSpecification")
        if io is None:
            return
        names = {d.get("name") for d in io if local(d) in ("dataInput", "dataOutput")}
        for tag in ("loopDataInputRef", "loopDataOutputRef"):
            name = (mi.findtext(f"{{{BPMN_NS}}}{tag}") or "").strip()
            if name and name not in names:
                self.add(ERROR, "multi-instance-input", task, f"multi-instance '{label(task)}' uses '{name}', "
                         "which its input/output specification does not declare; add it there")
    def _data_object_in_scope(self, el: etree._Element, object_id: str | None) -> bool:
        return any(o.get("id") == object_id for scope in el.iterancestors()
                   for o in scope if local(o) == "dataObject")
    def _data_reference(self, ref: etree._Element) -> None:
        target = self.ids.get((ref.text or "").strip())
        if target is not None and local(target) == "dataObjectReference":
            return  # its own dataObjectRef is checked on the reference
        owner = ref.getparent().getparent()
        self.add(ERROR, "dangling-reference", owner, f"'{label(owner)}' reads or writes "
                 f"'{(ref.text or '').strip()}', which is not a data object reference; connect it to a data object")
    def _typed_reference(self, definition: etree._Element) -> None:
        for attr, kind in (("messageRef", "message"), ("signalRef", "signal"), ("errorRef", "error"),
                           ("escalationRef", "escalation")):
            ref = definition.get(attr)
            target = self.ids.get(ref) if ref else None
            if target is not None and local(target) != kind and local(definition).endswith("EventDefinition"):
                self.add(ERROR, "dangling-reference", definition.getparent(), f"{attr} '{ref}' names a "
                         f"{local(target)}, not a {kind}; choose a {kind} in the modeler")
