"""Incidents: a step that failed while running (a script over the sandbox's limits, a timer value the
engine cannot use), kept where designers and administrators look, although the step itself rolled back.

The person (or scheduler tick) whose step failed gets the refusal at once; the incident is written
afterwards, in the edge's next transaction, as an audit event 'incident' on the case, so the case page's
trail shows it and the incidents page lists the latest of all cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.errors import ExecutionError
from engine.core.models import AuditEvent
from engine.flow.models import Instance

ACTION = "incident"


@dataclass(frozen=True)
class Incident:
    """One failed step as the incidents page lists it."""

    at: datetime
    instance_id: int
    process_id: str
    title: str
    element_id: str | None
    actor: str | None
    reason: str


def mark(exc: ExecutionError, instance_id: int) -> ExecutionError:
    """Remember on the refusal which case it belongs to, for the edge that records it."""
    if getattr(exc, "instance_id", None) is None:
        exc.instance_id = instance_id  # type: ignore[attr-defined]
    return exc


def record(session: Session, now: datetime, exc: ExecutionError, actor: str | None) -> bool:
    """Write the incident of a refusal `mark` gave a case (after the failed step was rolled back)."""
    instance_id = getattr(exc, "instance_id", None)
    if instance_id is None or session.get(Instance, instance_id) is None:
        return False
    audit.record(session, ACTION, actor, now, instance_id=instance_id, element_id=exc.element_id,
                 opinion=str(exc)[:2000], detail={"name": exc.element_id or ""})
    return True


def latest(session: Session, limit: int = 100) -> list[Incident]:
    """The most recent incidents of every case, newest first."""
    rows = session.execute(select(AuditEvent, Instance).join(Instance, Instance.id == AuditEvent.instance_id)
                           .where(AuditEvent.action == ACTION).order_by(AuditEvent.id.desc()).limit(limit))
    return [Incident(event.at, inst.id, inst.process_id, inst.title, event.element_id, event.actor,
                     event.opinion or "") for event, inst in rows]
