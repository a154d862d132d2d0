"""加签 choices: who may join a running countersign. A countersign runs over a list of one kind (the
departments of a 会签, or people, or groups); a new signer must be a real one of that kind and not yet
in it, so no branch is made for a name nobody can work."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.errors import Conflict, InvalidInput
from engine.org.models import Department, Group, User

KINDS = ("department", "user", "group")
_WORDS = {"department": ("部门", "department"), "user": ("人员", "person"), "group": ("岗位", "group")}


def _known(session: Session, kind: str) -> dict[str, str]:
    """Every value of a kind with the name people read, in the order a picker shows them."""
    if kind == "department":
        return dict(session.execute(select(Department.code, Department.name).order_by(Department.code)).all())
    if kind == "user":
        rows = session.execute(select(User.username, User.display_name).where(User.active.is_(True))
                               .order_by(User.username))
        return {name: shown or name for name, shown in rows}
    return {code: name or code for code, name in session.execute(select(Group.code, Group.name).order_by(Group.code))}


def kind_of(session: Session, current: list[Any]) -> str:
    """What the countersign's items are: the kind all present items belong to (departments first)."""
    values = {str(v) for v in current if v is not None}
    for kind in KINDS:
        if values and values <= set(_known(session, kind)):
            return kind
    return "department"


def options(session: Session, current: list[Any]) -> list[tuple[str, str]]:
    """(value, name) of those who could still be added to a countersign over `current`."""
    taken = {str(v) for v in current}
    return [(value, name) for value, name in _known(session, kind_of(session, current)).items() if value not in taken]


def check(session: Session, current: list[Any], item: str) -> str:
    """The item to add, or InvalidInput saying why it cannot sign (unknown, or already signing)."""
    value = (item or "").strip()
    kind = kind_of(session, current)
    zh, en = _WORDS[kind]
    if not value:
        raise InvalidInput(f"请选择要加签的{zh} / choose the {en} to add", field="item")
    if value in {str(v) for v in current}:
        raise Conflict(f"「{_known(session, kind).get(value, value)}」已在会签中 / '{value}' already signs in this step")
    if value not in _known(session, kind):
        raise InvalidInput(f"「{value}」不是本机关的{zh}，请从列表中选择 / '{value}' is no {en} of this office; "
                           "pick one from the list", field="item")
    return value
