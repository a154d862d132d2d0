"""Finds what SpiffWorkflow 3.2.0 cannot run correctly, so deployment refuses it with a clear message.

Run it on the tree `dialects.normalize` has adapted. Two kinds of check:
- integrity (duplicate ids, sequence flows / boundary events / default flows naming missing elements)
  covers the whole file: such a file is corrupt, modelers refuse to open it and nothing can show it;
- runtime support (everything else) covers executable processes only (isExecutable="true" or absent);
  a process marked isExecutable="false" gets one 'not-executable' warning instead, as it never runs.

Event sub-processes run as drawn, interrupting or not (engine/bpmn/event_subprocesses.py); lint
refuses only what BPMN forbids (an error start that does not interrupt) or what would misfire (a start
without trigger would start with the process, a conditional start is never watched).

Several unconditional flows leaving an activity are BPMN's implicit parallel split. Plain SpiffWorkflow
refuses them ("Multiple outgoing flows are not supported"); govflow's parser (engine/bpmn/parser.py)
runs them as a parallel split, so lint only warns and suggests drawing the parallel gateway.

Contract (tests/engine/intake/test_lint.py, over the conformance corpus): a file without error problems
builds in SpiffWorkflow's parser; engine/intake/prerequisites.py holds one check per parser failure found
by probing.
"""

from __future__ import annotations

import ast
import re

from lxml import etree

from engine.core.problems import ERROR, WARNING, Problem
from engine.intake import cron, prerequisites, timer_limits, vocabulary
from engine.intake.expressions import BPMN_NS, quote_timer, timer_defect
from engine.intake.tree import (
    NS,
    bpmn_ids,
    has_steps,
    in_extensions,
    is_executable,
    label,
    local,
    process_of,
    runnable,
    xpath,
)
from engine.intake.vendor_forms import variable_name

ACTIVITIES = ("task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess")
EVENTS = ("startEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")
PYTHON_FORMATS = ("python", "python3", "text/x-python", "text/python", "py")


def executable_process_ids(tree: etree._ElementTree) -> list[str]:
    """Ids of the processes SpiffWorkflow will be asked to build."""
    return [p.get("id") for p in tree.getroot().iterfind("bpmn:process", NS) if runnable(p) and p.get("id")]


def why_nothing_runs(tree: etree._ElementTree) -> str:
    """The reason a file has no executable process, naming each process."""
    reasons = [f"process '{label(p)}' " + ("is marked isExecutable=\"false\" (a diagram only)" if not is_executable(p)
                                         else "has no steps (an empty pool)")
               for p in tree.getroot().iterfind("bpmn:process", NS)]
    if not reasons:
        return "no executable process: the file holds no process; draw one in the modeler"
    return ("no executable process: " + "; ".join(reasons)
            + "; mark the process executable in the modeler (and draw its steps) to run it")


def process_summaries(tree: etree._ElementTree) -> list[dict[str, object]]:
    """What a designer sees in a file's listing: id, name, whether it runs, where it starts."""
    return [{"id": p.get("id"), "name": p.get("name"), "executable": is_executable(p), "line": p.sourceline}
            for p in tree.getroot().iterfind("bpmn:process", NS)]


def lint(tree: etree._ElementTree, filename: str) -> list[Problem]:
    """Every problem found in the (already normalised) tree."""
    return _Linter(tree.getroot(), filename).run()


class _Linter:
    """One pass over one file; `add` records a located problem."""

    def __init__(self, root: etree._Element, filename: str):
        self.root = root
        self.filename = filename
        self.problems: list[Problem] = []
        self.ids = bpmn_ids(root)

    def add(self, severity: str, code: str, el: etree._Element, message: str) -> None:
        self.problems.append(Problem(severity, code, message, self.filename, el.sourceline, el.get("id")))

    def run(self) -> list[Problem]:
        self.duplicate_ids()
        self.correlations()
        for process in self.root.iterfind("bpmn:process", NS):
            self.references(process)
            if not is_executable(process):
                self.add(WARNING, "not-executable", process, f"process '{label(process)}' is marked "
                         "isExecutable=\"false\": it is a diagram only and will not be run; tick "
                         "'Executable' in the modeler if it should run")
                continue
            if not has_steps(process):
                self.add(WARNING, "empty-process", process, f"process '{label(process)}' has no steps (an "
                         "empty pool, as drawn for an outside party): nothing of it runs")
                continue
            self.unsupported(process)
            self.scripts_and_calls(process)
            for sub in xpath(process, ".//bpmn:subProcess[@triggeredByEvent='true']"):
                self.event_subprocess(sub)
            self.flows(process)
            self.timers(process)
            timer_limits.check(process, self.add)
            self.conditional_boundaries(process)
            prerequisites.ParserPrerequisites(self.ids, self.add).check(process)
            self.govflow_properties(process)
            for scope in [process, *xpath(process, ".//bpmn:subProcess|.//bpmn:transaction")]:
                self.start_events(scope)
        return self.problems

    def govflow_properties(self, process: etree._Element) -> None:
        """Properties the engine acts on must name something it knows, or the case would stall at run time."""
        for prop in process.iter():
            if not isinstance(prop.tag, str) or etree.QName(prop).localname != "property":
                continue
            rule = vocabulary.accepted(prop.get("name"))
            value = (prop.get("value") or "").strip()
            if rule is not None and value not in (known := rule.values()):
                self.add(ERROR, rule.code, _owner_element(prop), rule.refusal(value, known))

    def duplicate_ids(self) -> None:
        """Ids must be unique where SpiffWorkflow looks them up: among a file's top-level elements and
        within one process. Elsewhere (two pools, vendor extensions, diagram data) it tolerates them."""
        groups: dict[str, list[etree._Element]] = {}
        for el in self.root.iter():
            if isinstance(el.tag, str) and el.get("id") and etree.QName(el).namespace == BPMN_NS \
                    and not in_extensions(el):
                groups.setdefault(el.get("id"), []).append(el)
        for ident, members in groups.items():
            if len(members) < 2:
                continue
            scopes = [el.getparent() if el.getparent() is self.root else process_of(el) for el in members]
            clash = any(scopes.count(scope) > 1 for scope in scopes if scope is not None)
            self.add(ERROR if clash else WARNING, "duplicate-id" if clash else "tolerated-duplicate-id",
                     members[1], f"the id '{ident}' is used {len(members)} times (first on line "
                     f"{members[0].sourceline}); " + ("give every element its own id" if clash else
                                                     "each use is in a different pool, so it still works; "
                                                     "modelers expect unique ids, so give each its own"))

    def references(self, process: etree._Element) -> None:
        for flow in xpath(process, ".//bpmn:sequenceFlow"):
            for attr in ("sourceRef", "targetRef"):
                if flow.get(attr) not in self.ids:
                    self.add(ERROR, "dangling-reference", flow, f"sequence flow {attr} '{flow.get(attr)}' "
                             "names no element; reconnect both ends of the flow in the modeler")
        for event in xpath(process, ".//bpmn:boundaryEvent"):
            if event.get("attachedToRef") not in self.ids:
                self.add(ERROR, "dangling-reference", event, f"boundary event is attached to "
                         f"'{event.get('attachedToRef')}', which does not exist; attach it to a task again")
        for el in xpath(process, ".//bpmn:*[@default]"):
            if el.get("default") not in self.ids:
                self.add(ERROR, "dangling-reference", el, f"default flow '{el.get('default')}' does not "
                         "exist; choose the default flow of this gateway again")

    def unsupported(self, process: etree._Element) -> None:
        for el in xpath(process, ".//bpmn:linkEventDefinition"):
            self.add(ERROR, "link-event", el.getparent(), "link events are not supported (SpiffWorkflow "
                     "ignores them); replace the link pair with a sequence flow to the target")
        for el in xpath(process, ".//bpmn:compensateEventDefinition|.//*[@isForCompensation='true']"):
            owner = el.getparent() if local(el) == "compensateEventDefinition" else el
            self.add(ERROR, "compensation", owner, "compensation is not supported; model the undo steps "
                     "as ordinary tasks after an error boundary event")
        for el in xpath(process, ".//bpmn:complexGateway"):
            self.add(ERROR, "complex-gateway", el, "complex gateways are not supported; use an inclusive or "
                     "exclusive gateway with conditions")

    def scripts_and_calls(self, process: etree._Element) -> None:
        for el in xpath(process, ".//bpmn:scriptTask[@scriptFormat]"):
            fmt = (el.get("scriptFormat") or "").strip()
            if fmt and fmt.lower() not in PYTHON_FORMATS:
                self.add(ERROR, "unsupported-script-language", el, f"script language '{fmt}' is not "
                         "supported; rewrite the script in Python (set the script format to python)")
        for el in xpath(process, ".//bpmn:scriptTask[not(bpmn:script[normalize-space()])]"):
            self.add(ERROR, "empty-script", el, f"script task '{label(el)}' has no script (it would fail when "
                     "reached); write the Python script or make it a plain task")
        for el in xpath(process, ".//bpmn:callActivity"):
            target = self.ids.get(el.get("calledElement"))
            if target is not None and local(target).startswith("global"):
                self.add(ERROR, "global-task", el, f"call activity calls the global task "
                         f"'{el.get('calledElement')}'; global tasks are not supported, call a process")
        io_path = ".//bpmn:ioSpecification/bpmn:dataInput|.//bpmn:ioSpecification/bpmn:dataOutput"
        for el in xpath(process, io_path):
            name = (el.get("name") or "").strip()
            if name and variable_name(name) != el.get("id"):  # rewrites.io_by_name gave it its name if it could
                self.add(ERROR, "io-name-mismatch", el, f"task {local(el)[4:].lower()} '{name}' has the id "
                         f"'{el.get('id')}'; govflow reads task inputs and outputs by id, so give it the id "
                         f"'{name}' (or remove the input/output specification)")

    def event_subprocess(self, sub: etree._Element) -> None:
        """Event sub-processes run interrupting or not, as drawn (engine/bpmn/event_subprocesses.py);
        what BPMN forbids or SpiffWorkflow cannot trigger is refused with what to do instead."""
        for start in xpath(sub, "./bpmn:startEvent"):
            triggers = {local(c) for c in start if local(c).endswith("EventDefinition")}
            interrupting = (start.get("isInterrupting") or "true").strip().lower() != "false"
            if not triggers:
                self.add(ERROR, "event-subprocess-start", sub, f"the event sub-process '{label(sub)}' has a "
                         "start event without a trigger, so it would start together with the process; give "
                         "its start event a timer, message, signal, error or escalation trigger")
            elif "errorEventDefinition" in triggers and not interrupting:
                self.add(ERROR, "event-subprocess-start", sub, f"the event sub-process '{label(sub)}' starts "
                         "on an error without interrupting, which BPMN does not allow (an error always ends "
                         "what raised it); tick 'Interrupting' on its start event, or catch an escalation "
                         "if the main flow should go on")
            elif "conditionalEventDefinition" in triggers:
                self.add(ERROR, "event-subprocess-start", sub, f"the event sub-process '{label(sub)}' starts "
                         "on a condition, which govflow cannot watch for; start it with a message or signal")

    def flows(self, process: etree._Element) -> None:
        """Several unconditional flows out of an activity run in parallel (dialects.normalize has already
        put an inclusive gateway after activities with conditional flows)."""
        outgoing: dict[str, list[etree._Element]] = {}
        for flow in xpath(process, ".//bpmn:sequenceFlow"):
            outgoing.setdefault(flow.get("sourceRef", ""), []).append(flow)
        for source_id, flows in outgoing.items():
            source = self.ids.get(source_id)
            if source is not None and local(source) in ACTIVITIES + EVENTS and len(flows) > 1:
                self.add(WARNING, "implicit-split", source, f"{len(flows)} unconditional flows leave "
                         f"'{label(source)}': all of them run in parallel (an implicit parallel split); draw a "
                         "parallel gateway to make that visible, or an exclusive gateway if only one should run")

    def conditional_boundaries(self, process: etree._Element) -> None:
        """A conditional boundary event tests the data of its own path: what the steps inside the
        sub-process it sits on set does not reach it (Camunda re-tests on every variable change)."""
        for event in xpath(process, ".//bpmn:boundaryEvent[bpmn:conditionalEventDefinition]"):
            host = self.ids.get(event.get("attachedToRef"))
            if host is not None and local(host) in ("subProcess", "transaction", "callActivity"):
                self.add(WARNING, "conditional-boundary-data", event, f"conditional event '{label(event)}' "
                         f"on '{label(host)}' tests the data as it was when '{label(host)}' began; values "
                         "set by the steps inside it do not make it fire. Test them after it, with a gateway")

    def timers(self, process: etree._Element) -> None:
        for timer in xpath(process, ".//bpmn:timerEventDefinition"):
            owner = timer.getparent()
            specs = [(local(c), (c.text or "").strip()) for c in timer
                     if local(c) in ("timeDate", "timeDuration", "timeCycle")]
            if not specs or not all(text for _, text in specs):  # SpiffWorkflow takes the first one present
                self.add(ERROR, "empty-timer", owner, f"timer '{label(owner)}' has no date, duration or cycle; "
                         "enter one in the modeler such as PT2H (2 hours) or P7D (7 days)")
                continue
            for kind, text in specs:
                defect = timer_defect(text, kind) or _literal_timer_defect(kind, text)
                if defect is not None:
                    self.add(ERROR, defect[0], owner, defect[1])
                elif kind == "timeCycle" and local(owner) == "startEvent" and local(owner.getparent()) == "process":
                    self.add(WARNING, "cycle-start", owner, f"timer start '{label(owner)}' repeats, but govflow "
                             "starts a case when someone starts it: each case then waits for the cycle's next "
                             "time and runs once")

    def correlations(self) -> None:
        """SpiffWorkflow reads correlation properties of the whole file before anything else."""
        for prop in self.root.iterfind("bpmn:correlationProperty", NS):
            if prop.find(f"{{{BPMN_NS}}}correlationPropertyRetrievalExpression") is None:
                self.add(ERROR, "incomplete-correlation", prop, f"correlation property '{label(prop)}' has no "
                         "retrieval expression; say which message field holds the key, or delete it")

    def start_events(self, scope: etree._Element) -> None:
        kind = "process" if local(scope) == "process" else "sub-process"
        starts = xpath(scope, "./bpmn:startEvent")
        if kind == "sub-process" and len(starts) > 1:  # SpiffWorkflow builds sub-processes from one start
            self.add(ERROR, "no-start-event", scope, f"sub-process '{label(scope)}' has {len(starts)} start "
                     "events; SpiffWorkflow needs exactly one in a sub-process")
            return
        if local(scope) == "subProcess" and scope.get("triggeredByEvent") == "true" and starts:
            return
        if not starts:
            self.add(ERROR, "no-start-event", scope, f"{kind} '{label(scope)}' has no start event; add one "
                     "(an empty process or sub-process cannot run)")
            return
        plain = [s for s in starts if not any(local(c).endswith("EventDefinition") for c in s)]
        if len(plain) > 1:
            self.add(ERROR, "no-start-event", scope, f"{kind} '{label(scope)}' has {len(plain)} plain start "
                     "events; keep exactly one (give the others a message or signal trigger)")


_TIMER_SHAPES = {"timeDate": ("a date such as '2026-01-31T09:00:00+01:00'", r"\d{4}-"),
                 "timeDuration": ("a duration such as 'P7D' or 'PT2H'", r"P"),
                 "timeCycle": ("a cycle such as 'R/P1D' or 'R3/PT1H'", r"R\d*/")}


def _literal_timer_defect(kind: str, text: str) -> tuple[str, str] | None:
    """A quoted timer is evaluated at run time; check now that it is the ISO 8601 value its kind needs."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None  # an expression: its value is only known at run time
    wanted, prefix = _TIMER_SHAPES[kind]
    if isinstance(value, str) and quote_timer(value) is not None and re.match(prefix, value):
        return None
    if kind == "timeCycle" and isinstance(value, str) and value.startswith(cron.PREFIX):
        return None  # translated from a cron expression by dialects.normalize
    return "invalid-timer", f"timer value {text} is not {wanted} (ISO 8601); correct it in the modeler"


def _owner_element(el: etree._Element) -> etree._Element:
    """The BPMN element a vendor property belongs to (its nearest ancestor with an id)."""
    for ancestor in el.iterancestors():
        if ancestor.get("id") and etree.QName(ancestor).namespace == BPMN_NS:
            return ancestor
    return el


