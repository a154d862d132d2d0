"""Local fixes to SpiffWorkflow 3.2.0 behaviour, applied on import of the facade (version pinned)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.util import event as _event_module

from engine.bpmn import cron  # noqa: F401 - cron cycles and the cycle floor
from engine.bpmn.event_subprocesses import trigger_in_scopes


def _specific_first(tasks: list[Any], event: Any) -> list[Any]:
    """BPMN: an error/escalation boundary naming the thrown code wins over a catch-all boundary;
    SpiffWorkflow 3.2.0 fires both."""
    code = getattr(event.event_definition, "code", None)
    if code is None or len(tasks) < 2:
        return tasks
    specific = [t for t in tasks if getattr(t.task_spec.event_definition, "code", None) == code]
    return specific or tasks


def _catch(self: Any, event: Any, internal: bool = True) -> int:
    """SpiffWorkflow's EventManager.catch with `_specific_first` applied to the catching tasks, and
    event sub-processes of sub-process scopes started as the top level's are (event_subprocesses)."""
    if event.target is None:
        self.update_collaboration(event)
        trigger_in_scopes(self.workflow, event)
        tasks = [t for t in self.tasks.values() if t.task_spec.catches(t, event)]
        if not tasks and internal:
            self.workflow.bpmn_events.append(event)
    else:
        tasks = [t for t in self.tasks.values()
                 if t.workflow == event.target and t.task_spec.event_definition.catches(t, event)]
        if not tasks and trigger_in_scopes(self.workflow, event, event.target):
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


_original_mi_update = MultiInstanceTask._update_hook


def _fresh_round(self: Any, my_task: Any) -> Any:
    """A multi-instance entered again (a send-back loop round a countersign) starts a new round: the last
    round's per-part items and its filled output list are cleared first, where SpiffWorkflow would refuse
    the round ("the output must be empty") or its parts ("output item already exists"). An output map
    given on purpose is kept. The original hook is where the task takes its data over, so it runs first."""
    result = _original_mi_update(self, my_task)
    for ref in (self.output_item, self.input_item):
        if ref is not None:
            my_task.data.pop(ref.bpmn_id, None)
    output, source = self.data_output, self.data_input
    if output is not None and (source is None or output.bpmn_id != source.bpmn_id):
        stale = my_task.data.get(output.bpmn_id)
        if isinstance(stale, list) and stale:
            my_task.data.pop(output.bpmn_id)
    return result


MultiInstanceTask._update_hook = _fresh_round  # type: ignore[method-assign]


def _condition_met(self: Any, my_task: Any) -> bool:
    """A conditional event waits for data: a condition naming a variable nobody has set yet is not met
    (SpiffWorkflow 3.2.0 fails the instance), as Camunda re-checks it whenever variables change."""
    try:
        met = my_task.workflow.script_engine.evaluate(my_task, self.expression,
                                                      external_context=my_task.workflow.data_objects)
    except WorkflowTaskException as exc:
        if not isinstance(exc.__cause__, NameError) and not isinstance(getattr(exc, "error", None), NameError):
            raise
        met = False
    my_task._set_internal_data(has_fired=bool(met))
    return bool(met)


ConditionalEventDefinition.has_fired = _condition_met  # type: ignore[method-assign]
