"""Built-in service tasks: a service task with property `service` runs here, inside the step's transaction.

The government processes register theirs when their modules are loaded (engine/gov/documents.py,
mailbox.py, licensing.py; engine/ops/assembly.py loads them all)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import runtime
from engine.bpmn.properties import element_properties
from engine.core.errors import ExecutionError
from engine.flow.models import Instance
from engine.intake import vocabulary

MAX_CHAINED = 50  # service steps one save may run: a loop of services must not hang the request


@dataclass
class ServiceCall:
    """What a service sees: the case data, the element's properties, and who triggered the step."""

    session: Session
    instance: Instance
    now: datetime
    actor: str | None
    element_id: str
    data: dict[str, Any]
    properties: dict[str, str]


Handler = Callable[[ServiceCall], dict[str, Any] | None]


def case_record(call: ServiceCall, model: Any, id_variable: str, what: str) -> Any:
    """The row a case belongs to (a letter, an application): by the id in the case data, else by instance."""
    row_id = call.data.get(id_variable)
    row = call.session.get(model, row_id) if isinstance(row_id, int) else None
    if row is None:
        row = call.session.scalar(select(model).where(model.instance_id == call.instance.id))
    if row is None:
        raise ExecutionError(f"this case has no {what} ({id_variable} missing from its data)",
                             element_id=call.element_id)
    return row


_REGISTRY: dict[str, Handler] = {}


def register(name: str) -> Callable[[Handler], Handler]:
    """Decorator: make `name` usable as `service` property value."""
    def wrap(fn: Handler) -> Handler:
        _REGISTRY[name] = fn
        return fn
    return wrap


def names() -> list[str]:
    return sorted(_REGISTRY)


def handler_for(name: str) -> Handler | None:
    return _REGISTRY.get(name)


# A deployment refuses a service task naming no registered service (the case would stall at it).
vocabulary.accept("service", vocabulary.Accepted(
    "unknown-service", names,
    lambda value, known: f"service '{value}' is not a built-in service; use one of: {', '.join(known)}"))


def service_name(task: runtime.OpenTask) -> str | None:
    value = element_properties(task.extensions).get("service")
    return str(value).strip() if value else None


def run_pending(session: Session, instance: Instance, wf: runtime.Workflow, now: datetime,
                actor: str | None) -> tuple[int, list[runtime.OpenTask]]:
    """Run every open external task that names a built-in service, until none is left; returns how many
    ran and the open tasks left (the projection needs them next, and finding them walks the tree)."""
    ran = 0
    while True:
        current = runtime.open_tasks(wf)
        pending = [(t, h) for t in current if t.kind == "external"
                   and (name := service_name(t)) and (h := handler_for(name)) is not None]
        if not pending:
            return ran, current
        for task, handler in pending:
            ran += 1
            if ran > MAX_CHAINED:
                raise ExecutionError(f"more than {MAX_CHAINED} service steps in one go; the process loops "
                                     f"through service '{service_name(task)}'", element_id=task.element_id)
            props = {k: str(v) for k, v in element_properties(task.extensions).items()}
            call = ServiceCall(session, instance, now, actor, task.element_id, dict(task.data), props)
            result = handler(call) or {}
            runtime.complete_task(wf, task.id, result)
