"""Limits of BPMN timers that deploy-time lint (intake) and run-time due computation (bpmn) share.

The edge may set them once at start-up from its configuration (GOVFLOW_MAX_TIMER_YEARS and friends,
see webapp/config.py); every check reads them from here, so deploy and run time never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta


@dataclass(frozen=True)
class TimerLimits:
    """How far ahead a timer may reach, how often a cycle may fire and how many times."""

    max_years: int = 10             # longest duration (a statutory limit is months, never decades)
    min_interval_seconds: int = 60  # shortest interval of a repeating timer (the scheduler ticks each minute)
    max_cycles: int = 1000          # most repetitions; an unbounded cycle R/... stops after this many

    @property
    def min_interval(self) -> timedelta:
        return timedelta(seconds=self.min_interval_seconds)

    @property
    def max_months(self) -> int:
        return self.max_years * 12

    @property
    def max_seconds(self) -> float:
        """Upper bound of any duration in seconds (a year counted as 366 days), to refuse before computing."""
        return self.max_years * 366 * 86400.0


_current = [TimerLimits()]


def timer_limits() -> TimerLimits:
    return _current[0]


def configure_timers(**changes: int) -> TimerLimits:
    """Set limits at start-up (values must be positive); returns the limits now in force."""
    for name, value in changes.items():
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"timer limit {name} must be a positive whole number, not {value!r}")
    _current[0] = replace(_current[0], **changes)
    return _current[0]
