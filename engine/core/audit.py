"""Append-only audit trail; rows are only ever inserted, so send-backs and cancellations keep history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.core.clock import to_db
from engine.core.models import AuditEvent

_INSERT = insert(AuditEvent)


def record(session: Session, action: str, actor: str | None, now: datetime, *, instance_id: int | None = None,
           task_id: str | None = None, element_id: str | None = None, opinion: str | None = None,
           changes: dict[str, Any] | None = None, detail: dict[str, Any] | None = None) -> None:
    """Insert at once with a prepared statement, in the caller's transaction: every step writes
    one or more events, and nothing ever edits one, so an ORM object would only add flush work."""
    session.connection().execute(_INSERT, {
        "instance_id": instance_id, "task_id": task_id, "element_id": element_id, "actor": actor,
        "action": action, "at": to_db(now), "opinion": opinion, "changes": changes or {}, "detail": detail or {}})


def trail(session: Session, instance_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.id)))


def diff(before: dict[str, Any], submitted: dict[str, Any]) -> dict[str, Any]:
    """What a submission changed: {field: [old, new]} for every submitted field that differs."""
    return {key: [before.get(key), value] for key, value in submitted.items() if before.get(key) != value}
