"""The flow layer's answer to what clocks ask of cases and steps (engine.clocks.links.Cases).

engine/flow/instances.py installs it when it is loaded, with the function that delivers a message to a
case; the rest reads the flow's own tables and keeps the inbox's deadlines (engine.flow.task_deadlines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.flow import task_deadlines
from engine.flow.models import HumanTask, Instance
from engine.org.directory import group_members

OPEN = "open"
MAX_HOLDERS = 10  # a warning goes to the people at work on the case, not to a whole bureau
Deliver = Callable[[Session, datetime, int, str], tuple[bool, str | None]]


class FlowCases:
    """Cases and steps as the flow layer keeps them."""

    def __init__(self, deliver: Deliver):
        self._deliver = deliver

    def process_of(self, session: Session, instance_id: int) -> str | None:
        case = session.get(Instance, instance_id)
        return case.process_id if case is not None else None

    def title(self, session: Session, instance_id: int) -> str | None:
        case = session.get(Instance, instance_id)
        return case.title if case is not None else None

    def titles(self, session: Session, instance_ids: set[int]) -> dict[int, str]:
        return {row.id: row.title for row in session.execute(select(Instance.id, Instance.title)
                                                              .where(Instance.id.in_(instance_ids)))}

    def holder(self, session: Session, task_id: str) -> str | None:
        row = session.get(HumanTask, task_id)
        return row.assignee if row is not None and row.status == OPEN and row.assignee else None

    def holders(self, session: Session, task_ids: set[str]) -> dict[str, str]:
        rows = session.execute(select(HumanTask.id, HumanTask.status, HumanTask.assignee)
                               .where(HumanTask.id.in_(task_ids)))
        return {row.id: row.assignee for row in rows if row.status == OPEN and row.assignee}

    def step_names(self, session: Session, task_ids: set[str]) -> dict[str, str]:
        if not task_ids:
            return {}
        return dict(session.execute(select(HumanTask.id, HumanTask.name).where(HumanTask.id.in_(task_ids))).all())

    def case_holders(self, session: Session, instance_ids: set[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        if not instance_ids:
            return found
        for row in session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(instance_ids),
                                                           HumanTask.status == OPEN)
                                   .order_by(HumanTask.created_at, HumanTask.id)):
            people = [row.assignee] if row.assignee else [c.value for c in row.candidates if c.kind == "user"]
            for group in ([] if row.assignee else [c.value for c in row.candidates if c.kind == "group"]):
                people += [u.username for u in group_members(session, group) if u.active]
            held = found.setdefault(row.instance_id, [])
            held += [p for p in people if p not in held]
        return {iid: names[:MAX_HOLDERS] for iid, names in found.items()}

    def clocks_written(self, session: Session, instance_ids: Iterable[int | None]) -> None:
        task_deadlines.refresh(session, instance_ids)

    def deliver(self, session: Session, now: datetime, instance_id: int, message: str) -> tuple[bool, str | None]:
        return self._deliver(session, now, instance_id, message)
