"""Read-only queries behind the mailbox folders: who sees which folders, one folder's page, the open steps."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.flow import tasks
from engine.flow.models import HumanTask
from engine.flow.projections import OPEN
from engine.gov import mailbox
from engine.gov.models import Letter
from engine.org import directory

# Who answers for every letter: they see all eight folders.
MAILBOX_STAFF = frozenset({"mailbox_clerk", "city_leader", "supervisor", "admin"})
# Departments' clerks handle the letters handed to them (`${dept}_clerk`) and their leaders are copied:
# they see their own two folders, and so does anyone else once a letter waits for them or was copied to them.
HANDLER_SUFFIXES = ("_clerk", "_leader")
ORDER = ("todo", "handling", "new", "rejected", "done", "recycle", "copies", "all")
OWN = ("todo", "copies")


def is_staff(session: Session, username: str) -> bool:
    return bool(directory.member_groups(session, username) & MAILBOX_STAFF)


def handles_letters(session: Session, username: str) -> bool:
    """Whether the inbox offers the mailbox folders: the staff, and departments' clerks and leaders."""
    groups = directory.member_groups(session, username)
    return bool(groups & MAILBOX_STAFF) or any(g.endswith(HANDLER_SUFFIXES) for g in groups)


def folders_for(session: Session, username: str, counts: dict[str, int]) -> list[str]:
    """The folders this user may open; none for someone with no part in any letter."""
    if is_staff(session, username):
        return list(ORDER)
    if handles_letters(session, username) or counts.get("todo") or counts.get("copies"):
        return list(OWN)
    return []


def folder_page(session: Session, username: str, folder: str, text: str | None, page: int,
                per_page: int) -> tuple[list[Letter], int]:
    """One page of a folder, newest letters first, and the folder's total under the same filter."""
    query = mailbox.folder_query(session, username, folder, text)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Letter.submitted_at.desc(), Letter.id.desc())
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), int(total)


def open_steps(session: Session, username: str, instance_ids: list[int]) -> dict[int, str]:
    """For the shown letters, the oldest open step this user may work (the row links to it)."""
    if not instance_ids:
        return {}
    query = (select(HumanTask.instance_id, HumanTask.id)
             .where(HumanTask.instance_id.in_(instance_ids), HumanTask.status == OPEN)
             .order_by(HumanTask.created_at, HumanTask.id))
    if not directory.is_admin(session, username):
        query = query.where(tasks.visible_filter(username, directory.group_codes(session, username)))
    found: dict[int, str] = {}
    for instance_id, task_id in session.execute(query):
        found.setdefault(instance_id, task_id)
    return found
