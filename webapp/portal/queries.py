"""Read-only queries for the applicant's progress page: open steps, the statutory clock, the notice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clocks.models import Clock
from engine.flow import instances
from engine.flow.models import Attachment, HumanTask
from engine.flow.projections import OPEN
from engine.gov import portal
from engine.gov.models import Application


@dataclass
class Progress:
    """What the applicant may know about their case (no clerk names, no internal opinions)."""

    steps: list[str] = field(default_factory=list)
    clock: Clock | None = None
    notice: str = ""
    files: list[str] = field(default_factory=list)
    may_supplement: bool = False
    may_rate: bool = False


def progress(session: Session, now: datetime, app: Application) -> Progress:
    found = Progress(files=_filenames(session, app.materials))
    if app.instance_id is None:
        return found
    found.steps = list(session.scalars(select(HumanTask.name).where(
        HumanTask.instance_id == app.instance_id, HumanTask.status == OPEN).order_by(HumanTask.created_at)))
    found.clock = session.scalar(select(Clock).where(Clock.instance_id == app.instance_id,
                                                     Clock.task_id.is_(None)).order_by(Clock.id.desc()).limit(1))
    found.may_supplement = portal.supplement_task(session, app) is not None
    if found.may_supplement:
        found.notice = str(_data(session, now, app.instance_id).get("missing") or "")
    found.may_rate = app.status in ("delivered", "not_accepted") and app.rating is None
    return found


def _data(session: Session, now: datetime, instance_id: int) -> dict[str, Any]:
    inst = instances.get(session, instance_id)
    return instances.current_data(session, inst, now) if inst.status == instances.RUNNING else {}


def _filenames(session: Session, ids: list[Any]) -> list[str]:
    if not ids:
        return []
    return list(session.scalars(select(Attachment.filename).where(Attachment.id.in_([int(i) for i in ids]))
                                .order_by(Attachment.id)))
