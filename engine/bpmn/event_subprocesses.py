"""Event sub-processes as BPMN runs them, where SpiffWorkflow 3.2.0 falls short:

- an interrupting one (isInterrupting absent or true) ends the rest of its scope when its start event
  fires; SpiffWorkflow never reads isInterrupting and lets the main flow run on;
- one inside an embedded sub-process is triggered too: SpiffWorkflow looks for event sub-processes only
  at the top level of an instance, so a message, signal or error inside a sub-process was never caught;
- when one starts it sees the scope's current data (what the steps so far entered), not the data the
  instance was started with, as BPMN's shared process variables mean;
- one started by a message, signal, error or escalation is followed by its scope's end, as drawn:
  SpiffWorkflow gives it no next step, so a scope whose main flow had ended waited for ever.

The parser marks each event sub-process start event with extensions['govflow']['interrupting']."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState


def _govflow(spec: Any) -> dict[str, Any]:
    return (getattr(spec, "extensions", None) or {}).get("govflow") or {}


def _opened_by(start_task: Any) -> tuple[Any, Any] | None:
    """(event sub-process task, its scope's workflow) when this start event opens an event sub-process
    (SpiffWorkflow 3.2.0's spiff parser builds those as plain sub-workflow tasks: it looks for a
    namespaced triggeredByEvent attribute, so the start event's mark is what tells)."""
    sub = start_task.workflow
    if sub is sub.top_workflow or start_task.parent is None or start_task.parent.task_spec.name != "Start":
        return None
    host = sub.top_workflow.get_task_from_id(sub.parent_task_id)
    if host is None or not isinstance(host.task_spec, SubWorkflowTask):
        return None
    return host, sub.parent_workflow


_original_run_hook = StartEvent._run_hook


def _run_hook(self: Any, my_task: Any) -> Any:
    """An event sub-process's start: take the scope's current data, then interrupt if it interrupts."""
    opened = _opened_by(my_task) if "interrupting" in _govflow(self) else None
    if opened is not None:
        host, scope = opened
        latest = scope.last_task
        if latest is not None and latest.workflow is scope:
            my_task.data = dict(latest.data)  # the event's payload is applied over it below
    result = _original_run_hook(self, my_task)
    if opened is not None:
        host, scope = opened
        if not host.children:  # a triggered one is given no path on; its scope's end follows it
            host._sync_children(host.task_spec.outputs, TaskState.FUTURE)
            for child in host.children:
                child.task_spec._predict(child, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
        if _govflow(self).get("interrupting"):
            interrupt(host, scope)
    return result


StartEvent._run_hook = _run_hook  # type: ignore[method-assign]


def interrupt(host: Any, scope: Any) -> list[Any]:
    """Cancel everything still open in the scope except the event sub-process `host` (and what follows
    it: the scope's end); returns the cancelled tasks."""
    lineage = {t.id for t in _ancestors(host)} | {host.id}
    cancelled = []
    for task in list(scope.get_tasks(state=TaskState.NOT_FINISHED_MASK, skip_subprocesses=True)):
        if task.workflow is not scope or task.id in lineage or task.has_state(TaskState.FINISHED_MASK):
            continue
        if any(a.id == host.id for a in _ancestors(task)):
            continue
        task.cancel()
        cancelled.append(task)
    return cancelled


def _ancestors(task: Any) -> list[Any]:
    found = []
    parent = task.parent
    while parent is not None:
        found.append(parent)
        parent = parent.parent
    return found


def trigger_in_scopes(top: Any, event: Any, scope: Any | None = None) -> bool:
    """Start the event sub-processes of sub-process scopes that catch `event` (SpiffWorkflow itself
    only looks at the top level): in `scope` for an error or escalation thrown there, else in every
    running sub-process. True when one was started."""
    scopes = [scope] if scope is not None else [sp for sp in top.subprocesses.values() if not sp.completed]
    started = False
    for level in scopes:
        if level is top:
            continue
        for name in getattr(level.spec.start, "trigger_specs", []):
            sp_spec = top.subprocess_specs.get(name)
            if sp_spec is None:
                continue
            for start in sp_spec.bpmn_start_events:
                if start.event_definition == event.event_definition and not _listening(top, level, start.name):
                    child_id = level.spec.start.trigger_wf(level.task_tree, name)
                    top.subprocesses[child_id].correlations.update(event.correlations)
                    started = True
    return started


def _listening(top: Any, level: Any, start_name: str) -> bool:
    """Whether an event sub-process of `level` already waits at that start event."""
    for sp in top.subprocesses.values():
        if sp.parent_workflow is level and sp.get_next_task(state=TaskState.WAITING, spec_name=start_name):
            return True
    return False
