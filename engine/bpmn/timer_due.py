"""Timer due times in constant time and within engine.core.limits, replacing SpiffWorkflow 3.2.0's own.

SpiffWorkflow adds a duration's months one by one (P99999999Y loops 1.2 billion times), lets P9999Y
overflow the date range (OverflowError), repeats R/... without end at any interval, and raises a bare
Exception for a value like 'PXYZ'. Here month sums are a date difference, the limits are checked before
anything is computed, and every bad value becomes an ExecutionError naming the timer's element.
Valid values give exactly SpiffWorkflow's due times (tests/engine/bpmn/test_timer_due.py compares them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.core.errors import ExecutionError
from engine.core.limits import timer_limits

# SpiffWorkflow's own month-by-month versions, kept so the tests can compare results with them.
SPIFF_FROM_START = TimerEventDefinition.__dict__["get_timedelta_from_start"].__func__
SPIFF_FROM_END = TimerEventDefinition.__dict__["get_timedelta_from_end"].__func__
_UNITS = {"weeks": 7 * 86400, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


class TimerRefused(ValueError):
    """A timer value outside what the engine runs; the timer's element is added where it is known."""


def _months_between(year: int, month: int, count: int) -> int:
    """Days in the `count` months starting with (year, month): what SpiffWorkflow sums month by month."""
    total = year * 12 + month - 1 + count
    return (date(total // 12, total % 12 + 1, 1) - date(year, month, 1)).days


def _months_before(year: int, month: int, count: int) -> int:
    """Days in the `count` months before (year, month)."""
    total = year * 12 + month - 1 - count
    return (date(year, month, 1) - date(total // 12, total % 12 + 1, 1)).days


def check_span(parsed: dict[str, Any]) -> None:
    """Refuse a parsed duration surely longer than the limit before any date arithmetic can overflow or
    spin; the exact rule (no later than the same moment max_years on) follows once the length is known."""
    limits = timer_limits()
    months = parsed.get("years", 0) * 12 + parsed.get("months", 0)
    seconds = sum(parsed.get(unit, 0) * size for unit, size in _UNITS.items())
    if months != int(months):
        raise TimerRefused("年、月不能带小数，零头请写成天数（如 P1M15D） / fractions of a year or month are not "
                           "supported; write the rest as days (P1M15D)")
    if months > limits.max_months or seconds > limits.max_seconds:
        raise TimerRefused(f"时长超过定时器 {limits.max_years} 年的上限 / the duration is longer than the "
                           f"{limits.max_years}-year limit for timers")


def _within_limit(delta: timedelta, limit: timedelta) -> timedelta:
    if delta > limit:
        raise TimerRefused(f"时长超过定时器 {timer_limits().max_years} 年的上限 / the duration is longer than the "
                           f"{timer_limits().max_years}-year limit for timers")
    return delta


def timedelta_from_start(parsed_duration: dict[str, Any], start: datetime | None = None) -> timedelta:
    """The duration's length counted forward from `start` (now by default), in constant time."""
    check_span(parsed_duration)
    start = start or _timer_module.datetime.now(UTC)  # the operation's clock (engine.bpmn.timers)
    years, months = parsed_duration.pop("years", 0), parsed_duration.pop("months", 0)
    days = parsed_duration.pop("days", 0)
    months += years * 12
    parsed_duration["days"] = days + _months_between(start.year, start.month, int(months))
    limit = timedelta(days=_months_between(start.year, start.month, timer_limits().max_months))
    return _within_limit(timedelta(**parsed_duration), limit)


def timedelta_from_end(parsed_duration: dict[str, Any], end: datetime) -> timedelta:
    """The duration's length counted back from `end`, in constant time."""
    check_span(parsed_duration)
    years, months = parsed_duration.pop("years", 0), parsed_duration.pop("months", 0)
    days = parsed_duration.pop("days", 0)
    months += years * 12
    parsed_duration["days"] = days + _months_before(end.year, end.month, int(months))
    limit = timedelta(days=_months_before(end.year, end.month, timer_limits().max_months))
    return _within_limit(timedelta(**parsed_duration), limit)


_original_cycle = TimerEventDefinition.__dict__["parse_iso_recurring_interval"].__func__


def recurring_interval(expression: str) -> tuple[int, datetime, timedelta]:
    """(cycles, first due, interval) of an ISO 8601 cycle, within the interval and count limits."""
    limits = timer_limits()
    cycles, start, duration = _original_cycle(expression)
    if duration.total_seconds() < limits.min_interval_seconds:
        raise TimerRefused(f"循环定时器两次触发至少间隔 {limits.min_interval_seconds} 秒 / a repeating timer must wait "
                           f"at least {limits.min_interval_seconds} seconds between two firings")
    if cycles > limits.max_cycles:
        raise TimerRefused(f"循环定时器最多触发 {limits.max_cycles} 次 / a repeating timer may fire at most "
                           f"{limits.max_cycles} times")
    return (limits.max_cycles if cycles < 0 else cycles), start, duration


def _element(my_task: Any) -> tuple[str, str]:
    spec = my_task.task_spec
    element = getattr(spec, "bpmn_id", None) or spec.name
    return element, getattr(spec, "bpmn_name", None) or element


def _guarded(method: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Run a timer check; a value it cannot use fails the step with the element named, never a 500."""
    def run(self: Any, my_task: Any) -> Any:
        try:
            return method(self, my_task)
        except (SpiffWorkflowException, ExecutionError):
            raise
        except Exception as exc:  # SpiffWorkflow raises bare Exception('Invalid duration') among others
            element, name = _element(my_task)
            value = my_task._get_internal_data("event_value") or self.expression
            reason = str(exc) if isinstance(exc, TimerRefused) else (
                "不是 ISO 8601 日期、时长或循环（如 P7D、PT2H、R3/P1D） / it is not an ISO 8601 date, duration or "
                "cycle (such as P7D, PT2H or R3/P1D)")
            zh, _, en = reason.partition(" / ")
            raise ExecutionError(f"环节“{name}”（{element}）的定时器取值 {value!r} 无法使用：{zh} / step '{name}' "
                                 f"({element}): timer value {value!r} cannot be used: {en or zh}",
                                 element_id=element) from exc
    run.__wrapped__ = method  # type: ignore[attr-defined]
    return run


def install() -> None:
    """Replace SpiffWorkflow's due computation (idempotent: the facade imports this once)."""
    if getattr(TimerEventDefinition, "_govflow_due", False):
        return
    TimerEventDefinition.get_timedelta_from_start = staticmethod(timedelta_from_start)  # type: ignore[assignment]
    TimerEventDefinition.get_timedelta_from_end = staticmethod(timedelta_from_end)  # type: ignore[assignment]
    TimerEventDefinition.parse_iso_recurring_interval = staticmethod(recurring_interval)  # type: ignore[assignment]
    for cls, name in ((TimeDateEventDefinition, "has_fired"), (DurationTimerEventDefinition, "has_fired"),
                      (CycleTimerEventDefinition, "cycle_complete")):
        setattr(cls, name, _guarded(getattr(cls, name)))
    TimerEventDefinition._govflow_due = True  # type: ignore[attr-defined]


install()
