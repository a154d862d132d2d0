"""加签/减签: adding a signer to, or removing one from, a running parallel countersign (multi-instance)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import ParallelMultiInstanceTask
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.runtime import Workflow, complete_task, find_task, run_engine
from engine.core.errors import Conflict

REMOVED = "govflow_signer_removed"


def _parallel_parent(wf: Workflow, task_id: str) -> tuple[Any, Any]:
    """The running parallel multi-instance a task belongs to, or a clear refusal."""
    task = find_task(wf, task_id)
    parent = task.parent
    if (parent is None or not isinstance(parent.task_spec, ParallelMultiInstanceTask)
            or parent.task_spec.task_spec != task.task_spec.name):  # the step after a countersign hangs below it
        raise Conflict("只有并行会签环节可以加签或减签 / signers can only be added to or removed from a parallel "
                       "countersign step (a parallel multi-instance task)")
    if parent.state != TaskState.STARTED:
        raise Conflict("此会签环节已结束 / this countersign step has already finished")
    return task, parent


def signers(wf: Workflow, task_id: str) -> list[Any]:
    """The items the countersign the task belongs to runs over (e.g. its departments), as they are now."""
    _task, parent = _parallel_parent(wf, task_id)
    spec = parent.task_spec
    collection = spec.data_input.get(parent) if spec.data_input is not None else None
    return list(collection) if isinstance(collection, list) else []


def add_parallel_instance(wf: Workflow, task_id: str, item: Any) -> None:
    """加签: one more instance of the countersign the task belongs to, for `item` (e.g. a department)."""
    task, parent = _parallel_parent(wf, task_id)
    spec = parent.task_spec
    collection = spec.data_input.get(parent) if spec.data_input is not None else None
    if not isinstance(collection, list):
        raise Conflict("此会签环节不是按名单（如部门名单）会签的，不能加签 / only a countersign over a list (e.g. of "
                       "departments) can take another signer")
    if item in collection:
        raise Conflict(f"“{item}”已在此环节会签 / '{item}' already signs in this step")
    collection.append(item)
    output = spec.data_output.get(parent) if spec.data_output is not None else None
    if isinstance(output, list) and output is not collection:
        output.append(None)
    spec.create_child(parent, item, len(collection) - 1)
    run_engine(wf)


def remove_parallel_instance(wf: Workflow, task_id: str) -> None:
    """减签: a signer who has not signed yet leaves; their part completes with no data of its own (marked
    internally, so the mark never leaks into the case data the way merged task data would)."""
    task, parent = _parallel_parent(wf, task_id)
    if task.state != TaskState.READY:
        raise Conflict("只能减去尚未会签的会签方 / only a signer who has not signed yet can be removed")
    others = [c for c in parent.children if c is not task and c.task_spec.name == task.task_spec.name]
    if all(c.internal_data.get(REMOVED) or c.state == TaskState.CANCELLED for c in others):
        raise Conflict("会签至少要保留一方，不能减去最后一个会签方 / the last signer of a countersign cannot be removed")
    spec = parent.task_spec
    task.internal_data[REMOVED] = True
    # The part's output is None: a removed signer neither agrees nor objects (a tally skips None).
    complete_task(wf, task_id, {spec.output_item.bpmn_id: None} if spec.output_item is not None else {})
