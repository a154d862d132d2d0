"""The facade over SpiffWorkflow: parse, start, inspect, complete, cancel, events and timers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.event_definitions import MessageEventDefinition, SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import EventSubprocessMixin
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import code_check, patches, timer_due  # noqa: F401 - apply local SpiffWorkflow fixes
from engine.bpmn.parser import GovflowParser, ValidationException
from engine.bpmn.specs import ExternalTask
from engine.core.errors import Conflict, ExecutionError, NotFound
from engine.core.problems import ERROR, Problem

Workflow: TypeAlias = Any  # a SpiffWorkflow BpmnWorkflow; the library ships no type hints


@dataclass
class ParsedProcess:
    """One executable process of a deployment batch, with what it calls."""

    process_id: str
    name: str
    filename: str
    spec: Any
    local_subprocess_specs: dict[str, Any]
    missing_calls: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OpenTask:
    """A task waiting for a person (kind 'user') or an outside system (kind 'external')."""

    id: str
    element_id: str
    name: str
    kind: str
    lane: str | None
    process_id: str
    extensions: dict[str, Any]
    data: dict[str, Any]
    multi_instance_item: Any = None
    data_objects: dict[str, Any] = field(default_factory=dict)  # the process's data objects, read by expressions


def _locate(trees: dict[str, etree._ElementTree], exc: ValidationException) -> tuple[str | None, int | None]:
    filename = getattr(exc, "file_name", None) or None
    element_id = getattr(exc, "id", None) or None
    line = None
    if element_id:
        for name, tree in trees.items():
            if filename and name != filename:
                continue
            found = tree.getroot().xpath("//*[@id=$i]", i=element_id)
            if found:
                return name, found[0].sourceline
    return filename, line


def parse_batch(trees: dict[str, etree._ElementTree], wanted: dict[str, list[str]],
                decisions: dict[str, etree._ElementTree] | None = None) -> tuple[list[ParsedProcess], list[Problem]]:
    """Parse normalised trees together so call activities (and business rule tasks, `decisions`: DMN
    trees) resolve between the files of one batch."""
    parser = GovflowParser()
    problems: list[Problem] = []
    for filename, tree in (decisions or {}).items():
        try:
            parser.add_dmn_xml(tree.getroot(), filename=filename)
        except ValidationException as exc:
            return [], [_validation_problem({**trees, **(decisions or {})}, exc, filename)]
    for filename, tree in trees.items():
        try:
            parser.add_bpmn_xml(tree, filename=filename)
        except ValidationException as exc:
            return [], [_validation_problem(trees, exc, filename)]
    parsed: list[ParsedProcess] = []
    known = set(parser.process_parsers)
    for filename, process_ids in wanted.items():
        for pid in process_ids:
            try:
                spec = parser.get_spec(pid)
                subs = _subprocess_specs(parser, spec)
            except ValidationException as exc:
                problems.append(_validation_problem(trees, exc, filename))
                continue
            except Exception as exc:  # SpiffWorkflow raises assorted internals on odd files
                problems.append(Problem(ERROR, "parse-error", f"process {pid}: {exc}", filename))
                continue
            missing = sorted(name for name, value in subs.items() if value is None and name not in known)
            local = {name: value for name, value in subs.items() if value is not None}
            problems.extend(code_check.check([spec, *local.values()], filename, trees.get(filename)))
            parsed.append(ParsedProcess(pid, spec.description or pid, filename, spec, local, missing))
    return parsed, problems


def _subprocess_specs(parser: GovflowParser, spec: Any) -> dict[str, Any]:
    """Specs the process needs, None for calls outside the batch (SpiffWorkflow's own walk forgets
    `require_call_activity_specs` when it recurses)."""
    found: dict[str, Any] = {}
    pending = [spec]
    while pending:
        current = pending.pop()
        for task_spec in current.task_specs.values():
            if isinstance(task_spec, SubWorkflowTask) and task_spec.spec not in found:
                sub = parser.get_spec(task_spec.spec, required=False)
                found[task_spec.spec] = sub
                if sub is not None:
                    pending.append(sub)
    return found


def _validation_problem(trees: dict[str, etree._ElementTree], exc: ValidationException,
                        filename: str) -> Problem:
    where, line = _locate(trees, exc)
    message = str(exc).rstrip(". ")
    return Problem(ERROR, "spiff-validation", message, where or filename, line, getattr(exc, "id", None) or None)


def called_processes(spec: Any, subprocess_specs: dict[str, Any]) -> set[str]:
    """Process ids named by call activities anywhere in a spec tree."""
    names: set[str] = set()
    for s in [spec, *subprocess_specs.values()]:
        for task_spec in s.task_specs.values():
            if isinstance(task_spec, SubWorkflowTask):
                names.add(task_spec.spec)
    return names


def initiator_variables(spec: Any) -> list[str]:
    """Variables a start event names (camunda/activiti:initiator) to receive the starting user."""
    names = []
    for task_spec in spec.task_specs.values():
        name = (getattr(task_spec, "extensions", None) or {}).get("govflow", {}).get("initiator")
        if name:
            names.append(name)
    return names


def new_workflow(spec: Any, subprocess_specs: dict[str, Any], script_engine: Any,
                 data: dict[str, Any]) -> Workflow:
    """Create an instance and run it to its first wait state."""
    wf = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    start = wf.get_next_task(state=TaskState.READY)
    if start is not None and data:
        start.set_data(**data)
    run_engine(wf)
    return wf


def run_engine(wf: Workflow) -> None:
    """Advance automatic steps; engine failures become ExecutionError naming the element."""
    try:
        # do_engine_steps ends with refresh_timers(); a timer that became due there is READY but
        # not run yet, so a second pass is needed exactly when such an automatic task exists.
        wf.do_engine_steps()
        if _has_ready_automatic(wf):
            wf.do_engine_steps()
        if _close_idle_listeners(wf):
            wf.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise ExecutionError(_describe(exc), element_id=_element_of(exc)) from exc


def _has_ready_automatic(wf: Workflow) -> bool:
    """Whether any workflow level has a READY task the engine (not a person) would run."""
    for level in [wf, *wf.subprocesses.values()]:
        for task in level.get_tasks_iterator(state=TaskState.READY):
            if not task.task_spec.manual:
                return True
    return False


def _idle_event_subprocesses(workflow: Any) -> list[Any]:
    """Event sub-processes still only listening (waiting start event) once their scope's normal flow
    has ended: BPMN ends them with the scope, SpiffWorkflow 3.2.0 would wait for them forever."""
    open_tasks = [t for t in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK, skip_subprocesses=True)
                  if t.workflow is workflow]
    listeners = [t for t in open_tasks if isinstance(t.task_spec, SubWorkflowTask | EventSubprocessMixin)
                 and t.state == TaskState.STARTED]
    if not listeners:
        return []
    for task in open_tasks:
        if task in listeners or isinstance(task.task_spec, _EndJoin) or task.task_spec.name == "End":
            continue
        return []  # the normal flow is still running
    idle = []
    for task in listeners:
        sub = workflow.top_workflow.subprocesses.get(task.id)
        busy = [t for t in sub.get_tasks(state=TaskState.NOT_FINISHED_MASK)
                if not (t.state == TaskState.WAITING and isinstance(t.task_spec, CatchingEvent)
                        and t.task_spec.name in {s.name for s in sub.spec.bpmn_start_events})
                and not isinstance(t.task_spec, _EndJoin) and t.task_spec.name not in ("End", "Start")
                and t.state != TaskState.FUTURE] if sub is not None else []
        if not busy:
            idle.append(task)
    return idle


def _close_idle_listeners(wf: Workflow) -> bool:
    if not wf.subprocesses:
        return False  # listeners are sub-workflows; none means nothing to close
    closed = False
    for workflow in [wf, *list(wf.subprocesses.values())]:
        for task in _idle_event_subprocesses(workflow):
            sub = wf.subprocesses.get(task.id)
            if sub is not None:
                for waiting in sub.get_tasks(state=TaskState.WAITING):
                    wf.event_manager.remove_task(waiting)
                wf.delete_subprocess(task)
            task.complete()  # ends with its scope, so the scope's end join can fire
            closed = True
    return closed


def _element_of(exc: Exception) -> str | None:
    spec = getattr(exc, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)


def _describe(exc: Exception) -> str:
    element = _element_of(exc)
    spec = getattr(exc, "task_spec", None)
    label = getattr(spec, "bpmn_name", None) or element
    prefix = f"step '{label}' ({element}): " if element else ""
    return prefix + str(exc).rstrip(". ")


def open_tasks(wf: Workflow) -> list[OpenTask]:
    """Ready user/manual tasks and started external tasks, across sub-processes."""
    found: list[OpenTask] = []
    for task in wf.get_tasks(state=TaskState.READY | TaskState.STARTED):
        spec = task.task_spec
        if isinstance(spec, ExternalTask) and task.state == TaskState.STARTED:
            kind = "external"
        elif getattr(spec, "manual", False) and task.state == TaskState.READY:
            kind = "user"
        else:
            continue
        found.append(_open_task(task, kind))
    return found


def _open_task(task: Any, kind: str) -> OpenTask:
    spec = task.task_spec
    element = getattr(spec, "bpmn_id", None) or spec.name
    item = None
    parent = task.parent
    if (parent is not None and getattr(parent.task_spec, "input_item", None)
            and getattr(parent.task_spec, "task_spec", None) == spec.name):  # an instance, not the step after it
        item = task.data.get(parent.task_spec.input_item.bpmn_id)
    return OpenTask(
        id=str(task.id), element_id=str(element), name=getattr(spec, "bpmn_name", None) or str(element),
        kind=kind, lane=getattr(spec, "lane", None), process_id=task.workflow.spec.name,
        extensions=dict(getattr(spec, "extensions", {}) or {}), data=task.data, multi_instance_item=item,
        data_objects=dict(getattr(task.workflow, "data_objects", None) or {}),
    )


def find_task(wf: Workflow, task_id: str) -> Any:
    try:
        task = wf.get_task_from_id(UUID(task_id))
    except Exception as exc:
        raise NotFound(f"task {task_id} is not part of this instance") from exc
    return task


def multi_instance_output(task: Any) -> tuple[str, str | None, Any] | None:
    """(output item, input item, its value) when the task is one part of a multi-instance that collects
    an output: SpiffWorkflow keeps only that item of each part's data, so the caller fills it in."""
    parent = task.parent
    spec = getattr(parent, "task_spec", None) if parent is not None else None
    output = getattr(spec, "output_item", None)
    if output is None or getattr(spec, "data_output", None) is None:
        return None
    item = getattr(spec, "input_item", None)
    name = item.bpmn_id if item is not None else None
    return output.bpmn_id, name, task.data.get(name) if name else None


def complete_task(wf: Workflow, task_id: str, data: dict[str, Any],
                  record: dict[str, Any] | None = None) -> Any:
    """Complete an open task with form data and advance the instance. In a collecting multi-instance
    the part's output item becomes the form data plus its input item and `record` (who, opinion),
    unless the form wrote the item itself: a countersign's votes arrive in one list."""
    task = find_task(wf, task_id)
    collected = multi_instance_output(task)
    if collected is not None and collected[0] not in data:
        output, item, value = collected
        data = {**data, output: {**({item: value} if item else {}), **data, **(record or {})}}
    is_external = isinstance(task.task_spec, ExternalTask) and task.state == TaskState.STARTED
    if not is_external and task.state != TaskState.READY:
        raise Conflict(f"task {task_id} is no longer open (it is {TaskState.get_name(task.state)})")
    try:
        if data:
            task.set_data(**data)
        if is_external:
            task.complete()
        else:
            task.run()
    except SpiffWorkflowException as exc:
        raise ExecutionError(_describe(exc), element_id=_element_of(exc)) from exc
    run_engine(wf)
    return task


def cancel(wf: Workflow) -> None:
    wf.cancel()


def send_message(wf: Workflow, name: str, payload: dict[str, Any] | None) -> None:
    """Deliver a message to an instance that waits for it."""
    _deliver(wf, MessageEventDefinition, name, payload or {})


def send_signal(wf: Workflow, name: str, payload: dict[str, Any] | None) -> None:
    _deliver(wf, SignalEventDefinition, name, payload or {})


def _waiting(wf: Workflow) -> list[tuple[Any, Any]]:
    """(task, event definition) per awaited event; an event-based gateway (one task waiting on a
    MultipleEventDefinition with no name of its own) contributes each of its events."""
    found: list[tuple[Any, Any]] = []
    for task in list(wf.event_manager.tasks.values()):
        definition = task.task_spec.event_definition
        parts = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
        found.extend((task, part) for part in parts)
    scopes = [wf, *(sp for sp in wf.subprocesses.values() if not sp.completed)]
    for scope in scopes:  # event sub-processes wait from their scope's start, sub-processes included
        for name in getattr(scope.spec.start, "trigger_specs", []):
            sp_spec = wf.subprocess_specs.get(name)
            for start in getattr(sp_spec, "bpmn_start_events", []) if sp_spec is not None else []:
                definition = start.event_definition
                parts = definition.event_definitions if isinstance(definition, MultipleEventDefinition) \
                    else [definition]
                found.extend((None, part) for part in parts)
    return found


def _deliver(wf: Workflow, kind: type, name: str, payload: dict[str, Any]) -> None:
    """Send the event as the waiting definition's own class (the spiff parser's classes only match
    their own kind) and put the payload into the case data when that definition would drop it."""
    matches = [(task, d) for task, d in _waiting(wf) if isinstance(d, kind) and getattr(d, "name", None) == name]
    if not matches:
        raise Conflict(f"this instance is not waiting for '{name}'")
    before = {task.id: task.state for task, _ in matches if task is not None}
    try:
        wf.send_event(BpmnEvent(matches[0][1], payload=payload))
    except SpiffWorkflowException as exc:
        raise ExecutionError(_describe(exc), element_id=_element_of(exc)) from exc
    for task, definition in matches:
        if task is None:
            continue
        keeps_payload = getattr(definition, "message_var", None) or getattr(definition, "variable", None)
        if payload and not keeps_payload and task.state != before[task.id]:
            task.set_data(**payload)
    run_engine(wf)


def waiting_event_names(wf: Workflow) -> list[tuple[str, str, Any]]:
    return [(d.name, type(d).__name__, d.details(task).value if task is not None else None)
            for task, d in _waiting(wf)]


def next_timer_due(wf: Workflow) -> str | None:
    """Earliest due time (ISO text) of the instance's waiting timers, for the scheduler index."""
    values = [d.details(task).value for task, d in _waiting(wf)
              if task is not None and isinstance(d, TimerEventDefinition)]
    values = [v for v in values if isinstance(v, str)]
    return min(values) if values else None


def is_completed(wf: Workflow) -> bool:
    return bool(wf.completed)


def succeeded(wf: Workflow) -> bool:
    return bool(wf.completed and wf.success)


def current_data(wf: Workflow) -> dict[str, Any]:
    """Data visible to a new task now: the workflow's data when done, else the last completed task's."""
    if wf.completed:
        return dict(wf.data)
    last = wf.last_task
    return dict(last.data) if last is not None else {}


def walk_completed(wf: Workflow, visit: Callable[[Any], None]) -> None:
    for task in wf.get_tasks(state=TaskState.COMPLETED):
        visit(task)


def completed_user_tasks(wf: Workflow) -> list[OpenTask]:
    """Completed user tasks still in the tree, oldest first: the steps a case can be sent back to."""
    found = [t for t in wf.get_tasks(state=TaskState.COMPLETED) if getattr(t.task_spec, "manual", False)]
    found.sort(key=lambda t: t.last_state_change)
    return [_open_task(t, "user") for t in found]


def reset_to(wf: Workflow, task_id: str, data: dict[str, Any] | None = None) -> None:
    """Reopen a completed task and drop everything after it (send back, withdraw); reload afterwards:
    SpiffWorkflow keeps removed catch events registered until the workflow is deserialized again."""
    task = find_task(wf, task_id)
    if task.state != TaskState.COMPLETED:
        raise Conflict(f"step {task_id} has not been completed; only a completed step can be reopened")
    try:
        wf.reset_from_task_id(task.id, data=data)
    except SpiffWorkflowException as exc:
        raise ExecutionError(_describe(exc), element_id=_element_of(exc)) from exc

