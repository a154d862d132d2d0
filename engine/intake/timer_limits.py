"""Deploy-time limits of timer values: what engine.bpmn.timer_due would refuse when the timer is reached.

A literal duration longer than the limit (default 10 years), a cycle faster than the minimum interval or
repeating more often than the maximum count, and a bare name shaped like a broken ISO 8601 value ('PXYZ':
SpiffWorkflow would look it up as a variable and fail when the timer is reached) are errors; an unbounded
cycle ('R/P1D') is a warning, as it stops after the maximum count. Values computed by an expression are
checked when the timer is reached. The limits are engine.core.limits'.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from lxml import etree

from engine.core.limits import TimerLimits, timer_limits
from engine.core.problems import ERROR, WARNING
from engine.intake.expressions import quote_timer
from engine.intake.tree import label, local, xpath

Add = Callable[[str, str, etree._Element, str], None]
_DURATION = re.compile(r"P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?")
_SECONDS = (7 * 86400, 86400, 3600, 60, 1)  # per group after years and months
_LOOKS_ISO = re.compile(r"(?:R\d*/.*|P[0-9A-Z.,]*)")


def duration_seconds(text: str) -> tuple[int, float] | None:
    """(months, seconds) of an ISO 8601 duration such as P1Y2M or PT90M; None when it is not one."""
    found = _DURATION.fullmatch(text.strip().upper())
    if found is None:
        return None
    groups = found.groups()
    months = int(groups[0] or 0) * 12 + int(groups[1] or 0)
    seconds = sum(float((g or "0").replace(",", ".")) * unit for g, unit in zip(groups[2:], _SECONDS, strict=True))
    return months, seconds


def _too_long(span: tuple[int, float], limits: TimerLimits) -> bool:
    """Longer than the limit from any start (a month counted as 28 days at least); the run time refuses
    the exact excess from the actual start."""
    months, seconds = span
    if months > limits.max_months or (months == limits.max_months and seconds > 0):
        return True
    return months * 28 * 86400 + seconds > limits.max_seconds


def duration_problem(text: str, limits: TimerLimits) -> str | None:
    span = duration_seconds(text)
    if span is not None and _too_long(span, limits):
        return (f"timer duration {text} is longer than the {limits.max_years}-year limit; a statutory time "
                "limit is counted in days or months, so check the number")
    return None


def cycle_problems(text: str, limits: TimerLimits) -> list[tuple[str, str]]:
    """(severity, message) for an ISO 8601 cycle Rn/duration, Rn/start/duration or Rn/duration/end."""
    parts = text.strip().upper().split("/")
    count = parts[0][1:]
    found: list[tuple[str, str]] = []
    spans = [duration_seconds(p) for p in parts[1:]]
    interval = next((s for s in spans if s is not None), None)
    if interval is not None and interval[0] == 0 and interval[1] < limits.min_interval_seconds:
        found.append((ERROR, f"timer cycle {text} repeats too fast: a repeating timer must wait at least "
                             f"{limits.min_interval_seconds} seconds between two firings"))
    elif interval is not None and _too_long(interval, limits):
        found.append((ERROR, f"timer cycle {text} has an interval longer than the {limits.max_years}-year limit"))
    if count.isdigit() and int(count) > limits.max_cycles:
        found.append((ERROR, f"timer cycle {text} repeats {count} times: a repeating timer may fire at most "
                             f"{limits.max_cycles} times"))
    elif not count:
        found.append((WARNING, f"timer cycle {text} repeats without end; it stops after {limits.max_cycles} "
                               f"repetitions (write R{limits.max_cycles}/... or fewer to say so)"))
    return found


def _literal(text: str) -> str | None:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def check(process: etree._Element, add: Add) -> None:
    """Report every timer of the process whose literal value breaks a limit, or that looks like a broken
    ISO 8601 value left unquoted."""
    limits = timer_limits()
    for timer in xpath(process, ".//bpmn:timerEventDefinition"):
        owner = timer.getparent()
        for spec in timer:
            kind, text = local(spec), (spec.text or "").strip()
            if kind not in ("timeDate", "timeDuration", "timeCycle") or not text:
                continue
            value = _literal(text) or (text if quote_timer(text) else None)  # a bare value: deploy quotes it
            if value is None:
                if _LOOKS_ISO.fullmatch(text) and text.isidentifier():
                    add(ERROR, "invalid-timer", owner, f"timer '{label(owner)}' has the value {text}, which is not "
                        "an ISO 8601 duration, date or cycle (such as P7D, PT2H or R3/P1D); correct it in the "
                        "modeler (a variable holding the value needs a lower-case name)")
                continue
            problems = (cycle_problems(value, limits) if kind == "timeCycle"
                        else [(ERROR, m) for m in [duration_problem(value, limits)] if m])
            for severity, message in problems:
                add(severity, "timer-limit", owner, f"timer '{label(owner)}': {message}")
