"""Finds what SpiffWorkflow 3.2.0 cannot run correctly, so deployment refuses it with a clear message.

Errors are reported only for executable processes; a process marked isExecutable="false" gets one
'not-executable' warning. Interrupting event sub-processes: SpiffWorkflow never interrupts the main
flow. When the sub-process is started by a signal that the same process throws itself (the main flow
has then reached the throw and is ending anyway) running it non-interrupting gives the same result, so
that case is a warning; any other interrupting event sub-process is an error. Several unconditional
flows leaving an activity are a parallel split in BPMN; govflow's parser runs them as one, with a
warning so the designer sees it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from lxml import etree

from engine.problems import ERROR, WARNING, Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS}
ACTIVITIES = ("task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction")
EVENTS = ("startEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")
_CRON = re.compile(r"^\S+(\s+\S+){4,6}$")


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _is_executable(process: etree._Element) -> bool:
    return process.get("isExecutable", "true").strip().lower() != "false"


def executable_process_ids(tree: etree._ElementTree) -> list[str]:
    return [p.get("id") for p in tree.getroot().iterfind("bpmn:process", NS) if _is_executable(p) and p.get("id")]


def process_summaries(tree: etree._ElementTree) -> list[dict[str, object]]:
    return [{"id": p.get("id"), "name": p.get("name"), "executable": _is_executable(p), "line": p.sourceline}
            for p in tree.getroot().iterfind("bpmn:process", NS)]


class _Linter:
    def __init__(self, root: etree._Element, filename: str):
        self.root = root
        self.filename = filename
        self.problems: list[Problem] = []
        self.ids = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}

    def add(self, severity: str, code: str, el: etree._Element, message: str) -> None:
        self.problems.append(Problem(severity, code, message, self.filename, el.sourceline, el.get("id")))

    def find(self, scope: etree._Element, path: str) -> list[etree._Element]:
        return scope.xpath(path, namespaces=NS)

    def run(self) -> list[Problem]:
        self.duplicate_ids()
        for process in self.root.iterfind("bpmn:process", NS):
            self.references(process)  # a broken reference is an error even in a diagram
            if not _is_executable(process):
                self.add(WARNING, "not-executable", process, f"process '{process.get('id')}' is marked "
                         "isExecutable=\"false\": it is a diagram only and will not be run")
                continue
            self.unsupported(process)
            self.flows(process)
            self.timers(process)
            for scope in [process, *self.find(process, ".//bpmn:subProcess|.//bpmn:transaction")]:
                self.start_events(scope)
        return self.problems

    def duplicate_ids(self) -> None:
        own = [el for el in self.root.iter() if isinstance(el.tag, str) and el.get("id")
               and etree.QName(el).namespace == BPMN_NS]  # vendor form fields reuse ids legitimately
        counts = Counter(el.get("id") for el in own)
        for el in own:
            if counts.get(el.get("id"), 0) > 1:
                self.add(ERROR, "duplicate-id", el, f"the id '{el.get('id')}' is used {counts[el.get('id')]} "
                         "times; every element needs its own id")
                counts[el.get("id")] = 0

    def references(self, process: etree._Element) -> None:
        for flow in self.find(process, ".//bpmn:sequenceFlow"):
            for attr in ("sourceRef", "targetRef"):
                if flow.get(attr) not in self.ids:
                    self.add(ERROR, "dangling-reference", flow, f"sequence flow {attr} '{flow.get(attr)}' "
                             "names no element; reconnect the flow in the modeler")
        for event in self.find(process, ".//bpmn:boundaryEvent"):
            if event.get("attachedToRef") not in self.ids:
                self.add(ERROR, "dangling-reference", event, f"boundary event is attached to "
                         f"'{event.get('attachedToRef')}', which does not exist")
        for el in self.find(process, ".//bpmn:*[@default]"):
            if el.get("default") not in self.ids:
                self.add(ERROR, "dangling-reference", el, f"default flow '{el.get('default')}' does not exist")

    def unsupported(self, process: etree._Element) -> None:
        for el in self.find(process, ".//bpmn:linkEventDefinition"):
            self.add(ERROR, "link-event", el.getparent(), "link events are not supported; draw a sequence flow "
                     "to the target instead")
        for el in self.find(process, ".//bpmn:compensateEventDefinition|.//*[@isForCompensation='true']"):
            owner = el.getparent() if _local(el) == "compensateEventDefinition" else el
            self.add(ERROR, "compensation", owner, "compensation is not supported; model the undo steps "
                     "explicitly after an error boundary event")
        for el in self.find(process, ".//bpmn:complexGateway"):
            self.add(ERROR, "complex-gateway", el, "complex gateways are not supported; use an inclusive or "
                     "exclusive gateway with conditions")
        for el in self.find(process, ".//bpmn:businessRuleTask"):
            self.add(ERROR, "business-rule-without-dmn", el, "business rule (DMN) tasks are not supported; use "
                     "a script task or gateway conditions")
        for el in self.find(process, ".//bpmn:scriptTask[@scriptFormat]"):
            fmt = (el.get("scriptFormat") or "").strip().lower()
            if fmt and fmt not in ("python", "text/x-python", "py"):
                self.add(ERROR, "unsupported-script-language", el, f"script language '{el.get('scriptFormat')}'"
                         " is not supported; govflow runs Python expressions and scripts only")
        for el in self.find(process, ".//bpmn:callActivity"):
            target = self.ids.get(el.get("calledElement"))
            if target is not None and _local(target).startswith("global"):
                self.add(ERROR, "global-task", el, f"call activity calls the global task "
                         f"'{el.get('calledElement')}'; global tasks are not supported, call a process")
        for el in self.find(process, ".//bpmn:ioSpecification/bpmn:dataInput|.//bpmn:ioSpecification/bpmn:dataOutput"):
            name = (el.get("name") or "").strip()
            if name and name != el.get("id"):
                self.add(ERROR, "io-name-mismatch", el, f"task {_local(el)[4:].lower()} '{name}' has the id "
                         f"'{el.get('id')}'; govflow reads task inputs and outputs by id, so give it the id "
                         f"'{name}' (or remove the input/output specification)")
        for sub in self.find(process, ".//bpmn:subProcess[@triggeredByEvent='true']"):
            self.event_subprocess(process, sub)

    def event_subprocess(self, process: etree._Element, sub: etree._Element) -> None:
        for start in self.find(sub, "./bpmn:startEvent"):
            if start.get("isInterrupting", "true").lower() == "false":
                continue
            signals = [d.get("signalRef") for d in self.find(start, "./bpmn:signalEventDefinition")]
            thrown = {d.get("signalRef") for d in self.find(process, ".//bpmn:intermediateThrowEvent/"
                                                            "bpmn:signalEventDefinition|.//bpmn:endEvent/"
                                                            "bpmn:signalEventDefinition")}
            if signals and all(s in thrown for s in signals):
                self.add(WARNING, "interrupting-event-subprocess", sub, "this event sub-process runs without "
                         "interrupting the main flow; here the main flow triggers it itself, so the result is "
                         "the same")
            else:
                self.add(ERROR, "interrupting-event-subprocess", sub, "interrupting event sub-processes are "
                         "not supported (the main flow would keep running); set the start event to "
                         "non-interrupting or use a boundary event on a sub-process")

    def flows(self, process: etree._Element) -> None:
        outgoing: dict[str, list[etree._Element]] = {}
        for flow in self.find(process, ".//bpmn:sequenceFlow"):
            outgoing.setdefault(flow.get("sourceRef", ""), []).append(flow)
        for source_id, flows in outgoing.items():
            source = self.ids.get(source_id)
            if source is None:
                continue
            kind = _local(source)
            conditional = [f for f in flows if self._condition(f) is not None]
            if kind in ("exclusiveGateway", "inclusiveGateway") and len(flows) > 1:
                for flow in flows:
                    if flow.get("id") != source.get("default") and not self._condition(flow):
                        self.add(ERROR, "missing-condition", flow, f"flow '{flow.get('name') or flow.get('id')}'"
                                 f" leaving gateway '{source.get('name') or source_id}' ({source_id}) has no "
                                 "condition; give it one or make it the gateway's default flow")
            elif kind in ACTIVITIES + EVENTS:
                if conditional:
                    self.add(ERROR, "conditional-flow-from-task", conditional[0], "conditional sequence flows "
                             "leaving a task are not supported; put an exclusive gateway after the task")
                elif len(flows) > 1:
                    self.add(WARNING, "implicit-split", source, f"{len(flows)} unconditional flows leave this "
                             "element: they run in parallel (an implicit parallel split)")

    @staticmethod
    def _condition(flow: etree._Element) -> str | None:
        cond = flow.find(f"{{{BPMN_NS}}}conditionExpression")
        return None if cond is None else (cond.text or "").strip()

    def timers(self, process: etree._Element) -> None:
        for timer in self.find(process, ".//bpmn:timerEventDefinition"):
            texts = [c for c in timer if _local(c) in ("timeDate", "timeDuration", "timeCycle")]
            if not texts or not any((c.text or "").strip() for c in texts):
                self.add(ERROR, "empty-timer", timer.getparent(), "the timer has no date, duration or cycle; "
                         "enter one such as PT2H or P7D")
                continue
            for c in texts:
                text = (c.text or "").strip()
                if _CRON.match(text) and not text.startswith(("${", "#{")):
                    self.add(ERROR, "cron-timer", timer.getparent(), f"timer '{text}' is a cron expression; "
                             "use an ISO 8601 cycle such as R/P1D")
                elif "DateTime." in text or "Execution." in text:
                    self.add(ERROR, "untranslatable-expression", timer.getparent(), f"timer '{text}' is not an "
                             "expression govflow understands; use an ISO 8601 value or a date variable")

    def start_events(self, scope: etree._Element) -> None:
        starts = self.find(scope, "./bpmn:startEvent")
        if _local(scope) == "subProcess" and scope.get("triggeredByEvent") == "true":
            return
        children = [c for c in scope if _local(c) in ACTIVITIES + EVENTS + ("endEvent",)]
        if not starts and children:
            self.add(ERROR, "no-start-event", scope, f"'{scope.get('name') or scope.get('id')}' has no start "
                     "event; add one")
        none_starts = [s for s in starts if not any(_local(c).endswith("EventDefinition") for c in s)]
        if len(none_starts) > 1:
            self.add(ERROR, "no-start-event", scope, f"'{scope.get('name') or scope.get('id')}' has "
                     f"{len(none_starts)} plain start events; keep exactly one")


def lint(tree: etree._ElementTree, filename: str) -> list[Problem]:
    """Every problem found in the (already normalised) tree."""
    return _Linter(tree.getroot(), filename).run()


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]
