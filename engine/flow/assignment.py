"""Who may work a task: assignee, candidate users and groups from BPMN extensions and lanes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.bpmn.runtime import OpenTask
from engine.core.clock import as_utc
from engine.intake.expressions import UntranslatableExpression, translate_expression

Evaluate = Callable[[str, dict[str, Any]], Any]
_EXPRESSION_MARK = re.compile(r"[$#]\{|^=")
_EMBEDDED = re.compile(r"[$#]\{[^{}]*\}")
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


@dataclass
class Assignment:
    assignee: str | None = None
    users: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    form_key: str | None = None
    due_at: datetime | None = None
    priority: int | None = None
    notes: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)


def resolve(task: OpenTask, starter: str | None, now: datetime, evaluate: Evaluate) -> Assignment:
    """Read the task's extensions; unassigned work falls to the instance's starter. `${initiator}` is the
    starter even where the start event does not name an initiator variable."""
    vendor = task.extensions.get("govflow", {})
    props = dict(task.extensions.get("properties") or {})
    props.update(vendor.get("properties") or {})
    result = Assignment(form_key=vendor.get("form") or vendor.get("formKey") or props.get("formKey")
                        or props.get("formJsonSchemaFilename"), properties=props)
    context = {**({"initiator": starter} if starter else {}), **task.data_objects, **task.data}
    if vendor.get("assignee"):
        result.assignee = _as_text(_value(vendor["assignee"], context, evaluate, result.notes))
    for raw in vendor.get("candidateUsers", []):
        result.users.extend(_as_list(_value(raw, context, evaluate, result.notes)))
    for raw in vendor.get("candidateGroups", []):
        result.groups.extend(_as_list(_value(raw, context, evaluate, result.notes)))
    for raw in vendor.get("candidateOwners", []):  # potentialOwner expressions: the starter is a user
        for value in _as_list(_value(raw, context, evaluate, result.notes)):
            (result.users if value == starter else result.groups).append(value)
    if not (result.assignee or result.users or result.groups) and task.lane:
        result.groups.append(lane_group(task.lane))
    if not (result.assignee or result.users or result.groups) and starter:
        result.users.append(starter)
    if vendor.get("priority") is not None:
        result.priority = _as_int(_value(vendor["priority"], context, evaluate, result.notes))
    if vendor.get("dueDate"):
        result.due_at = _as_due(_value(vendor["dueDate"], context, evaluate, result.notes), now)
    result.users = list(dict.fromkeys(u for u in result.users if u))
    result.groups = list(dict.fromkeys(g for g in result.groups if g))
    return result


def _value(raw: Any, context: dict[str, Any], evaluate: Evaluate, notes: list[str]) -> Any:
    """Literal text stays as is; `${...}`/`#{...}`/`=...` is evaluated against the task data."""
    if not isinstance(raw, str) or not _EXPRESSION_MARK.search(raw):
        return raw
    pieces = _EMBEDDED.findall(raw)
    if pieces and raw.strip() not in pieces:
        return _composite(raw, context, evaluate, notes)
    try:
        return evaluate(translate_expression(raw, boolean=False), context)
    except UntranslatableExpression as exc:
        notes.append(f"cannot evaluate '{raw}': {exc}")
    except Exception as exc:  # a missing variable must not stop the instance
        notes.append(f"cannot evaluate '{raw}': {exc}")
    return None


def _composite(raw: str, context: dict[str, Any], evaluate: Evaluate, notes: list[str]) -> Any:
    """`${dept}_clerk`: each expression is evaluated and the pieces joined (JUEL's composite expressions)."""
    failed = False

    def one(match: re.Match[str]) -> str:
        nonlocal failed
        value = _value(match.group(0), context, evaluate, notes)
        failed = failed or value is None
        return "" if value is None else str(value)

    text = _EMBEDDED.sub(one, raw)
    return None if failed else text


def _as_text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_due(value: Any, now: datetime) -> datetime | None:
    """An ISO date-time, or a simple ISO duration counted from now."""
    if isinstance(value, datetime):
        return as_utc(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _DURATION.match(text)
    if match and any(match.groups()):
        d, h, m, s = (int(x or 0) for x in match.groups())
        return as_utc(now) + timedelta(days=d, hours=h, minutes=m, seconds=s)
    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


_LANE_CODE = re.compile(r"[(（]\s*([A-Za-z][\w.-]*)\s*[)）]\s*$")


def lane_group(lane: str) -> str:
    """A lane named like "综合受理窗口（zwfw_window）" stands for the group in brackets; else its whole name."""
    found = _LANE_CODE.search(lane)
    return found.group(1) if found else lane.strip()

