"""Local fixes to SpiffWorkflow 3.2.0 behaviour, applied on import of the facade (version pinned)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.util import event as _event_module


def _specific_first(tasks: list[Any], event: Any) -> list[Any]:
    """BPMN: an error/escalation boundary naming the thrown code wins over a catch-all boundary;
    SpiffWorkflow 3.2.0 fires both."""
    code = getattr(event.event_definition, "code", None)
    if code is None or len(tasks) < 2:
        return tasks
    specific = [t for t in tasks if getattr(t.task_spec.event_definition, "code", None) == code]
    return specific or tasks


def _catch(self: Any, event: Any, internal: bool = True) -> int:
    """SpiffWorkflow's EventManager.catch with `_specific_first` applied to the catching tasks."""
    if event.target is None:
        self.update_collaboration(event)
        tasks = [t for t in self.tasks.values() if t.task_spec.catches(t, event)]
        if not tasks and internal:
            self.workflow.bpmn_events.append(event)
    else:
        tasks = [t for t in self.tasks.values()
                 if t.workflow == event.target and t.task_spec.event_definition.catches(t, event)]
        if not tasks:
            event.target = event.target.parent_workflow
            return self.catch(event)
    for task in _specific_first(tasks, event):
        task.task_spec.catch(task, event)
        task.task_spec._update(task)
    return len(tasks)


_event_module.EventManager.catch = _catch  # type: ignore[method-assign]
