"""What a listed clock shows beside its own columns: case, process, step, people, days used and left.

A list query selects clock rows alone (a plan PostgreSQL makes in well under a millisecond); the names
are then read by primary or unique key for that page only, one small query per kind, and the working
days from a calendar of the span the page covers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine.clocks import lifecycle
from engine.clocks import schedule as sched
from engine.clocks.models import Clock, ClockExtension, ClockPause, ClockPolicy
from engine.flow.models import HumanTask, Instance, ProcessVersion
from engine.org.models import Department, User
from webapp.supervision.span_calendar import SpanCalendar

CHUNK = 500
COLUMNS = ("id", "instance_id", "task_id", "element_id", "policy_code", "legal_basis", "unit", "limit_days",
           "extended_days", "started_at", "due_at", "warn_at", "status", "warning_level", "paused_since",
           "responsible", "department_code", "finished_at", "active", "used_working_days", "provisional")


def chunks(values: list[Any], size: int = CHUNK) -> list[list[Any]]:
    """IN lists of a bounded length (exports read many rows; SQLite caps bound parameters)."""
    return [values[i:i + size] for i in range(0, len(values), size)]


def pairs(rows: Any) -> dict[Any, Any]:
    """Two-column rows as a mapping."""
    return {row[0]: row[1] for row in rows}


def clock_select(conditions: list[Any]) -> Select[Any]:
    """Clock rows alone under the conditions (the names come afterwards, for the page only)."""
    return select(Clock).where(*conditions)


def describe(session: Session, found: list[Clock], now: datetime) -> list[dict[str, Any]]:
    """The rows a page or export shows, in the order found."""
    rows = []
    for clock in found:
        row = {column: getattr(clock, column) for column in COLUMNS}
        row.update(clock=clock, kind="step" if clock.task_id else "case", last_day=sched.last_day(clock.due_at))
        rows.append(row)
    _add_names(session, rows)
    add_days(session, rows, now)
    return rows


def _lookup(session: Session, column: Any, keys: set[Any], *values: Any) -> dict[Any, Any]:
    """key -> row of `values`, read by an indexed key in bounded IN lists."""
    found: dict[Any, Any] = {}
    for part in chunks(sorted(k for k in keys if k is not None)):
        for row in session.execute(select(column, *values).where(column.in_(part))):
            found[row[0]] = row
    return found


def _add_names(session: Session, rows: list[dict[str, Any]]) -> None:
    cases = {}
    for part in chunks(sorted({r["instance_id"] for r in rows if r["instance_id"] is not None})):
        cases.update({row.id: row for row in session.execute(
            select(Instance.id, Instance.title, Instance.process_id, Instance.status, ProcessVersion.name)
            .join(ProcessVersion, ProcessVersion.id == Instance.process_version_id).where(Instance.id.in_(part)))})
    steps = _lookup(session, HumanTask.id, {r["task_id"] for r in rows}, HumanTask.name, HumanTask.assignee)
    people = _lookup(session, User.username, {r["responsible"] for r in rows}, User.display_name)
    depts = _lookup(session, Department.code, {r["department_code"] for r in rows}, Department.name)
    for row in rows:
        case, step = cases.get(row["instance_id"]), steps.get(row["task_id"])
        person, dept = people.get(row["responsible"]), depts.get(row["department_code"])
        row.update(title=case.title if case else None, process_id=case.process_id if case else None,
                   case_status=case.status if case else None, process_name=case.name if case else None,
                   task_name=step.name if step else None, assignee=step.assignee if step else None,
                   responsible_name=person.display_name if person else None,
                   department_name=dept.name if dept else None)


def add_days(session: Session, rows: list[dict[str, Any]], now: datetime) -> None:
    """Used and remaining working days, pauses, extensions and the policy name of each row."""
    if not rows:
        return
    ids = [r["id"] for r in rows]
    pauses: dict[int, list[ClockPause]] = {i: [] for i in ids}
    extensions: dict[int, int] = {}
    for part in chunks(ids):
        for pause in session.scalars(select(ClockPause).where(ClockPause.clock_id.in_(part))
                                     .order_by(ClockPause.id)):
            pauses[pause.clock_id].append(pause)
        extensions.update(pairs(session.execute(select(ClockExtension.clock_id, func.count()).where(
            ClockExtension.clock_id.in_(part)).group_by(ClockExtension.clock_id))))
    policies = lifecycle.load_policies(session, {r["policy_code"] for r in rows})
    calendar = SpanCalendar(session, min(sched.china_date(r["started_at"]) for r in rows) - timedelta(days=1),
                            max([sched.china_date(now)] + [r["last_day"] for r in rows]) + timedelta(days=1))
    for row in rows:
        policy = policies[row["policy_code"]]
        row["policy_name"], row["pauses"] = policy.name, pauses[row["id"]]
        row["extensions"] = int(extensions.get(row["id"], 0))
        row["used_days"], row["remaining_days"] = _days(calendar, row, policy, pauses[row["id"]], now)


def _days(calendar: SpanCalendar, row: dict[str, Any], policy: ClockPolicy, pauses: list[ClockPause],
          now: datetime) -> tuple[int, int | None]:
    """Working days used so far (stored once finished) and left to the last day (negative: overdue)."""
    clock: Clock = row["clock"]
    if not clock.active:
        return clock.used_working_days, None
    counted_to = clock.paused_since or now  # a paused clock stands still on its pause day
    used = sched.used_working_days(calendar, clock, policy, pauses, counted_to)
    today, last = sched.china_date(counted_to), row["last_day"]
    if last >= today:
        return used, calendar.working_days_between(today, last)
    return used, -calendar.working_days_between(last, today)
