"""Workflow state as JSON without the spec: specs are stored once per process version."""

from __future__ import annotations

import json
import threading
from datetime import date
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import BusinessRuleTaskConverter, SpiffBpmnTaskConverter
from SpiffWorkflow.task import Task

from engine.bpmn import state_parts
from engine.bpmn.decisions import DecisionTask
from engine.bpmn.specs import ExternalTask

STATE_VERSION = "1.5"
VERSION_KEY = "serializer_version"


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the spec out on save and takes it from the caller on load."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = self.level_to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def level_to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        """WorkflowConverter.to_dict's dictionary, with ids formatted once per workflow."""
        ids = _id_texts(workflow)
        convert = self.registry.convert
        last = workflow.last_task
        dct = {
            "data": convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": _id_text(ids, last.id) if last is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": {_id_text(ids, uid): convert(task) for uid, task in workflow.tasks.items()},
            "root": _id_text(ids, workflow.task_tree.id),
        }
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        dct = dict(dct, spec=spec, subprocess_specs=subprocess_specs or {})
        return self._restore(dct)

    def _restore(self, dct: dict[str, Any]) -> BpmnWorkflow:
        workflow = self.target_class(dct.pop("spec"), dct.pop("subprocess_specs"), deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class FastTaskConverter(TaskConverter):
    """SpiffWorkflow's task converter, same output at about half the cost: every step rewrites the
    state, and str(UUID) for ids, parents and children was most of the time (a workflow keeps each
    id's text once, so a task's id is formatted once in its life, not at every save)."""

    def to_dict(self, task: Task) -> dict[str, Any]:
        workflow = task.workflow
        ids = _id_texts(workflow)
        parent = workflow.tasks.get(task._parent)  # Task.parent: None when the parent is in another level
        if parent is None:
            data, delta = task.data, {}
        else:
            mine, theirs = task.data, parent.data
            data = {}
            delta = {"updates": {k: v for k, v in mine.items() if k not in theirs or v != theirs[k]},
                     "deletions": [k for k in theirs if k not in mine]}
        return {
            "id": _id_text(ids, task.id),
            "parent": _id_text(ids, task._parent) if parent is not None else None,
            "children": [_id_text(ids, child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data),
            "data": data,
            "delta": delta,
        }


def _id_texts(workflow: Any) -> dict[Any, str]:
    """The workflow's cache of formatted task ids (it lives and dies with the workflow object)."""
    ids = workflow.__dict__.get("_govflow_id_text")
    if ids is None:
        ids = workflow.__dict__["_govflow_id_text"] = {}
    return ids


def _id_text(ids: dict[Any, str], uid: Any) -> str:
    text = ids.get(uid)
    if text is None:
        text = ids[uid] = str(uid)
    return text


class ReferenceWorkflowConverter(SpeclessWorkflowConverter):
    """SpiffWorkflow's own conversion of a level: what the fast converters must reproduce exactly."""

    def level_to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        return cast(dict[str, Any], WorkflowConverter.to_dict(self, workflow))


def _build_registry(reference: bool = False) -> Any:
    config = dict(SPIFF_CONFIG)
    config[Task] = TaskConverter if reference else FastTaskConverter
    config[ExternalTask] = SpiffBpmnTaskConverter
    config[DecisionTask] = BusinessRuleTaskConverter
    config[BpmnWorkflow] = ReferenceWorkflowConverter if reference else SpeclessWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    return registry


class StateSerializer:
    """One per thread: SpiffWorkflow's registry toggles a mutable encoder flag while dumping."""

    def __init__(self, reference: bool = False) -> None:
        """`reference`: SpiffWorkflow's stock task and level converters (for comparison only)."""
        self.registry = _build_registry(reference)
        self._encoder = create_encoder(self.registry)

    def spec_to_dict(self, spec: Any) -> dict[str, Any]:
        """JSON-ready dict of a spec (through the encoder, which converts nested task specs)."""
        return json.loads(self._dumps(spec))

    def specs_to_dict(self, specs: dict[str, Any]) -> dict[str, Any]:
        return {name: self.spec_to_dict(spec) for name, spec in specs.items()}

    def _dumps(self, obj: Any) -> str:
        self.registry._encoder_mode = True
        try:
            return json.dumps(self.registry.convert(obj), cls=self._encoder, separators=(",", ":"))
        finally:
            self.registry._encoder_mode = False

    def restore_spec(self, dct: dict[str, Any]) -> Any:
        return self.registry.restore(dct)

    def restore_specs(self, dct: dict[str, Any]) -> dict[str, Any]:
        return {name: self.registry.restore(value) for name, value in dct.items()}

    def dump(self, workflow: BpmnWorkflow) -> str:
        """State JSON stamped with the serializer version, so a library upgrade can migrate it."""
        self.registry._encoder_mode = True
        try:
            dct = self.registry.convert(workflow)
            dct[VERSION_KEY] = STATE_VERSION
            return json.dumps(dct, cls=self._encoder, separators=(",", ":"))
        finally:
            self.registry._encoder_mode = False

    def dump_parts(self, workflow: BpmnWorkflow) -> state_parts.Parts:
        """The state of `dump` in parts (engine/bpmn/state_parts.py), each encoded on its own."""
        self.registry._encoder_mode = True
        try:
            dct = self.registry.convert(workflow)
            dct[VERSION_KEY] = STATE_VERSION
            encoder = self._encoder(separators=(",", ":"))
            return state_parts.split(dct, encoder.encode)
        finally:
            self.registry._encoder_mode = False

    def load(self, text: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        return self.load_dict(json.loads(text), spec, subprocess_specs)

    def load_dict(self, dct: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        """A workflow from parsed state (the dictionary is consumed)."""
        version = dct.pop(VERSION_KEY, STATE_VERSION)
        if version != STATE_VERSION and version in MIGRATIONS:
            dct["spec"], dct["subprocess_specs"] = {}, {}
            MIGRATIONS[version](dct)
            dct.pop("spec"), dct.pop("subprocess_specs")
        return self.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)


_local = threading.local()


def serializer() -> StateSerializer:
    """The calling thread's serializer."""
    found = getattr(_local, "serializer", None)
    if found is None:
        found = _local.serializer = StateSerializer()
    return found
