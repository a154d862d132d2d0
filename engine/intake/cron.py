"""Cron timers (Camunda's Quartz `0 0/5 * * * ?`, Spring's six fields, Unix's five) turned into the
fields of APScheduler's CronTrigger, which engine/bpmn/cron.py fires. The timer text becomes the
string 'cron:SECOND MINUTE HOUR DAY MONTH DAY_OF_WEEK YEAR' in APScheduler's own syntax (a space
inside the day field, as in 'last fri', written '_'), so the
runtime needs no knowledge of Quartz; every field is checked here by building the trigger.

Quartz differs from APScheduler in ways that matter: days of the week count from Sunday=1 (Unix:
Sunday=0 or 7, APScheduler: Monday=0), `a/b` means "from a every b", `?` means "no value", `L` and
`6#3` (third Friday) belong to APScheduler's day field. `W` (nearest weekday) has no equivalent."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from engine.core.clock import CHINA_TZ

PREFIX = "cron:"

_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_QUARTZ_DAYS = {"1": "sun", "2": "mon", "3": "tue", "4": "wed", "5": "thu", "6": "fri", "7": "sat"}
_UNIX_DAYS = {"0": "sun", "1": "mon", "2": "tue", "3": "wed", "4": "thu", "5": "fri", "6": "sat", "7": "sun"}
_HIGHEST = {"second": 59, "minute": 59, "hour": 23, "day": 31, "month": 12, "year": 2100}
_FIELD = r"[\w*?/,#\-]+"
CRON_SHAPE = re.compile(rf"^(?=.*[\d*?])(?!.*\$\{{){_FIELD}(?:\s+{_FIELD}){{4,6}}$")


class CronError(ValueError):
    """A cron expression govflow cannot fire as written."""


def looks_like_cron(text: str) -> bool:
    return bool(CRON_SHAPE.match(text.strip())) and not text.strip().upper().startswith(("R", "P"))


def _steps(field: str, name: str) -> str:
    """Quartz's `a/b` (from a, every b) as APScheduler's `a-max/b`; `?` as `*`."""
    if field == "?":
        return "*"
    return re.sub(r"^(\d+)/(\d+)$", lambda m: f"{m.group(1)}-{_HIGHEST[name]}/{m.group(2)}", field)


def _weekday(token: str, days: dict[str, str]) -> str:
    token = token.lower()
    if token in days:
        return days[token]
    if token[:3] in _NAMES and len(token) == 3:
        return token
    raise CronError(f"'{token}' is not a day of the week")


def _day_of_week(field: str, days: dict[str, str]) -> tuple[str, str | None]:
    """(day_of_week field, day field) — `5L` and `6#3` move to APScheduler's day field."""
    if field in ("*", "?"):
        return "*", None
    last = re.fullmatch(r"(\w+)L", field)
    if last:
        return "*", f"last {_weekday(last.group(1), days)}"
    nth = re.fullmatch(r"(\w+)#([1-5])", field)
    if nth:
        return "*", f"{['1st', '2nd', '3rd', '4th', '5th'][int(nth.group(2)) - 1]} {_weekday(nth.group(1), days)}"
    parts = []
    for part in field.split(","):
        step = ""
        if "/" in part:
            part, step = part.split("/", 1)
            step = "/" + step
        ends = [_weekday(t, days) for t in part.split("-")] if part != "*" else ["*"]
        parts.append("-".join(ends) + step)
    return ",".join(parts), None


def to_fields(text: str) -> str:
    """'cron:...' in APScheduler's syntax for a Quartz, Spring or Unix cron expression."""
    return _parse(text)[0]


def _parse(text: str) -> tuple[str, CronTrigger]:
    fields = text.split()
    if len(fields) == 5:  # Unix: minute hour day month weekday
        fields, days = ["0", *fields, "*"], _UNIX_DAYS
    elif len(fields) in (6, 7):  # Quartz / Spring: second first, year optional
        fields, days = fields + ["*"] * (7 - len(fields)), _QUARTZ_DAYS
    else:
        raise CronError("a cron expression has 5 (Unix), 6 or 7 (Quartz) fields")
    second, minute, hour, day, month, weekday, year = fields
    if "W" in day.upper() or re.search(r"L-\d", day.upper()):
        raise CronError("'W' (nearest weekday) and 'L-n' have no equivalent; name the days instead")
    day = "last" if day.upper() == "L" else _steps(day, "day")
    weekday_field, weekday_day = _day_of_week(weekday, days)
    if weekday_day is not None:
        day = weekday_day
    values = {"second": _steps(second, "second"), "minute": _steps(minute, "minute"),
              "hour": _steps(hour, "hour"), "day": day, "month": _steps(month, "month").lower(),
              "day_of_week": weekday_field, "year": _steps(year, "year")}
    for name, value in values.items():  # one at a time, so the refusal names the field
        try:
            CronTrigger(**{name: value}, timezone=CHINA_TZ)
        except ValueError as exc:
            raise CronError(f"the {name.replace('_', ' ')} field '{value}' is not valid: "
                            f"{str(exc).split(': ', 1)[-1]}") from None
    cron = CronTrigger(**values, timezone=CHINA_TZ)
    values["day"] = values["day"].replace(" ", "_")  # 'last fri' stays one field of the text
    order = ("second", "minute", "hour", "day", "month", "day_of_week", "year")
    return PREFIX + " ".join(values[k] for k in order), cron


def shortest_gap(text: str, start: datetime, count: int = 20) -> timedelta | None:
    """The shortest time between the next `count` firings of a cron expression from `start`."""
    cron = _parse(text)[1]
    times: list[datetime] = []
    previous = None
    moment = start
    for _ in range(count):
        fire = cron.get_next_fire_time(previous, moment)
        if fire is None:
            break
        times.append(fire)
        previous, moment = fire, fire + timedelta(microseconds=1)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    return min(gaps) if gaps else None
