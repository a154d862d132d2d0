"""SpiffWorkflow's timers read the wall clock directly; route them through the engine's clock."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import datetime, tzinfo

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _timer_module

from engine.core.clock import Clock

_current: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("govflow_clock", default=None)


class _ClockedDatetime(datetime):
    """datetime whose now() answers from the clock bound to the current engine call."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        clock = _current.get()
        if clock is None:
            return datetime.now(tz)
        value = clock.now()
        return value.astimezone(tz) if tz is not None else value.replace(tzinfo=None)


_timer_module.datetime = _ClockedDatetime  # type: ignore[misc]


@contextlib.contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    """Bind `clock` for SpiffWorkflow timer evaluation during one engine operation."""
    token = _current.set(clock)
    try:
        yield
    finally:
        _current.reset(token)
