"""Domain events for the world outside (webhooks): a layer emits what happened, in the caller's
transaction, and whoever registered at start-up (engine.ops.webhooks) stores it in the same transaction.

Emitting never fails because nobody listens: with no listener an event costs one dict lookup. The
event kinds are fixed here so that every layer and the subscription forms speak of the same names."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.core.clock import as_utc

INSTANCE_STARTED = "instance.started"
INSTANCE_ENDED = "instance.ended"
TASK_CREATED = "task.created"
TASK_COMPLETED = "task.completed"
CLOCK_WARNED = "clock.warned"
CLOCK_OVERDUE = "clock.overdue"
LETTER_ANSWERED = "letter.answered"
LICENCE_DECIDED = "licence.decided"
KINDS = (INSTANCE_STARTED, INSTANCE_ENDED, TASK_CREATED, TASK_COMPLETED, CLOCK_WARNED, CLOCK_OVERDUE,
         LETTER_ANSWERED, LICENCE_DECIDED)


@dataclass(frozen=True)
class Event:
    """One thing that happened; `data` holds plain JSON values only."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Session, datetime, Sequence[Event]], None]
_LISTENERS: dict[str, Listener] = {}


def listen(name: str, listener: Listener) -> None:
    """Register (or replace, so loading a module twice is harmless) the listener called `name`."""
    _LISTENERS[name] = listener


def emit(session: Session, now: datetime, kind: str, **data: Any) -> None:
    emit_all(session, now, [Event(kind, data)])


def emit_all(session: Session, now: datetime, happened: Sequence[Event]) -> None:
    """Hand the events to every listener, in the caller's transaction (they roll back with it)."""
    if not happened or not _LISTENERS:
        return
    unknown = {event.kind for event in happened} - set(KINDS)
    if unknown:
        raise ValueError(f"unknown event kinds {sorted(unknown)}; add them to engine.core.events.KINDS")
    for listener in list(_LISTENERS.values()):
        listener(session, now, happened)


def moment(value: datetime | None) -> str | None:
    """A time as other systems read it: ISO 8601 in UTC with a Z."""
    return None if value is None else as_utc(value).isoformat().replace("+00:00", "Z")
