"""A submission's people and departments must exist: a picker can be bypassed, the server cannot. A user
field with `group` takes only members of that group (the 签发领导 of a draft: only the leaders who sign)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.errors import InvalidInput
from engine.flow.forms import FormDefinition
from engine.org.models import Department, Group, Membership, User

REFUSED = {
    "user": ("「{label}」中的“{value}”不是可以选择的人员", "{label}: '{value}' is not one of the people to choose"),
    "department": ("「{label}」中的“{value}”不是本机关的部门", "{label}: '{value}' is not a department"),
}


def _allowed_users(session: Session, group: str | None, wanted: set[str]) -> set[str]:
    query = select(User.username).where(User.username.in_(sorted(wanted)), User.active.is_(True))
    if group:
        query = (query.join(Membership, Membership.user_id == User.id).join(Group, Group.id == Membership.group_id)
                 .where(Group.code == group))
    return set(session.scalars(query))


def check_references(session: Session, definition: FormDefinition, data: Mapping[str, Any],
                     lang: str = "zh") -> None:
    """InvalidInput naming the field and the value when a user or department field names nobody it may."""
    errors: dict[str, list[str]] = {}
    for f in definition.fields:
        if f.type not in REFUSED or data.get(f.name) in (None, "", []):
            continue
        value = data[f.name]
        wanted = {str(v) for v in (value if isinstance(value, list) else [value])}
        if f.type == "user":
            known = _allowed_users(session, f.group, wanted)
        else:
            known = set(session.scalars(select(Department.code).where(Department.code.in_(sorted(wanted)))))
        for bad in sorted(wanted - known):
            errors.setdefault(f.name, []).append(
                REFUSED[f.type][1 if lang == "en" else 0].format(label=f.text(lang), value=bad))
    if errors:
        first = next(iter(errors))
        raise InvalidInput(errors[first][0], field=first, errors=errors)
