"""Repeating timers: cron cycles through APScheduler's CronTrigger, and a floor under every cycle.

SpiffWorkflow 3.2.0's cycle timer understands ISO 8601 repetitions (R3/PT1H) only. A timer text that
intake has translated from a Quartz/Spring/Unix cron expression arrives as 'cron:SECOND MINUTE HOUR
DAY MONTH DAY_OF_WEEK YEAR' (engine/intake/cron.py) and fires whenever the trigger does, in China
time. A cron cycle fires at most once per the limits' minimum interval (a cron of every five seconds
would otherwise make each scheduler tick a burst of work) and at most their maximum count; an ISO cycle
shorter than the interval or repeating more often is refused by engine/bpmn/timer_due.py.

A cycle on a process's own start event fires once per instance: govflow starts an instance when a
person (or the portal) starts one, which then waits for the cycle's next time; SpiffWorkflow would
run the process's path again at every repetition inside the same instance and never end it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _timer_module
from apscheduler.triggers.cron import CronTrigger
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from engine.core.clock import CHINA_TZ
from engine.core.limits import timer_limits

PREFIX = "cron:"


def _now() -> datetime:
    """The operation's time (engine/bpmn/timers.py binds it to SpiffWorkflow's timer module)."""
    return _timer_module.datetime.now(UTC)


def cron_trigger(text: str) -> CronTrigger:
    second, minute, hour, day, month, weekday, year = text.removeprefix(PREFIX).split(" ", 6)
    return CronTrigger(second=second, minute=minute, hour=hour, day=day.replace("_", " "), month=month,
                       day_of_week=weekday, year=year, timezone=CHINA_TZ)


def next_fire(text: str, after: datetime, previous: datetime | None = None) -> datetime | None:
    """The trigger's next time after `after`, never sooner than the minimum interval after `previous`."""
    earliest = max(after, previous + timer_limits().min_interval) if previous is not None else after
    fire = cron_trigger(text).get_next_fire_time(None, earliest)
    return fire.astimezone(UTC) if fire is not None else None


def _once_per_instance(my_task: Any) -> bool:
    return isinstance(my_task.task_spec, StartEvent) and my_task.workflow is my_task.workflow.top_workflow


def _first_value(self: Any, my_task: Any) -> dict[str, Any]:
    expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
    once = _once_per_instance(my_task)
    if isinstance(expression, str) and expression.startswith(PREFIX):
        first = next_fire(expression, _now())
        return {"cycles": 1 if once else timer_limits().max_cycles, "next": first.isoformat() if first else None,
                "cron": expression}
    cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
    return {"cycles": 1 if once and cycles != 0 else cycles, "next": start.isoformat(),
            "duration": duration.total_seconds()}


def _cycle_complete(self: Any, my_task: Any) -> bool:
    """SpiffWorkflow's cycle_complete with cron cycles, bounded, and once per instance on a start."""
    event_value = my_task._get_internal_data("event_value") or _first_value(self, my_task)
    ready = False
    if event_value["cycles"] != 0 and event_value["next"] is not None:
        due = datetime.fromisoformat(event_value["next"])
        if due < _now():
            if "cron" in event_value:
                following = next_fire(event_value["cron"], _now(), previous=due)
                event_value["next"] = following.isoformat() if following else None
            else:
                event_value["next"] = (due + timedelta(seconds=event_value["duration"])).isoformat()
            event_value["cycles"] -= 1
            ready = True
    if event_value["cycles"] == 0 or event_value["next"] is None:
        if not ready:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
    my_task._set_internal_data(event_value=event_value)
    return ready


CycleTimerEventDefinition.cycle_complete = _cycle_complete  # type: ignore[method-assign]
