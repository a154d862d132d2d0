"""One scheduler tick: claim due clocks and timers from their indexed due times and act on them.

Several scheduler processes may tick against one PostgreSQL database: each batch is claimed with
FOR UPDATE SKIP LOCKED inside its own transaction, so a row another process holds is skipped and
nothing fires twice. Work due while no scheduler ran is simply due now, so a tick after downtime
catches up. SQLite has no row locks: run a single scheduler there (the database lock serialises
writers, so a second one can only slow things down).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import clocks, instances
from engine.clock import to_db
from engine.errors import EngineError
from engine.models import Clock, Instance

log = logging.getLogger("govflow.scheduler")
BATCH = 100


@dataclass
class TickReport:
    """What one tick did, by id, so callers and tests can see exactly what fired."""

    clocks: list[int] = field(default_factory=list)
    timers: list[int] = field(default_factory=list)
    failed: list[tuple[str, int, str]] = field(default_factory=list)
    emails_sent: int = 0

    @property
    def fired(self) -> int:
        return len(self.clocks) + len(self.timers)


def _claim(session: Session, query: Any) -> list[int]:
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=query.columns_clause_froms[0])
    return list(session.scalars(query))


def claim_clocks(session: Session, now: datetime, limit: int = BATCH) -> list[int]:
    """Active clocks whose next check has come, earliest first, locked for this transaction."""
    return _claim(session, select(Clock.id).where(Clock.active.is_(True), Clock.next_check_at <= to_db(now))
                  .order_by(Clock.next_check_at).limit(limit))


def claim_timers(session: Session, now: datetime, limit: int = BATCH) -> list[int]:
    """Running instances with a BPMN timer due, earliest first, locked for this transaction."""
    return _claim(session, select(Instance.id).where(Instance.status == instances.RUNNING,
                                                      Instance.next_timer_at <= to_db(now))
                  .order_by(Instance.next_timer_at).limit(limit))


def _run_batch(sessions: sessionmaker[Session], now: datetime, claim: Callable[..., list[int]],
               act: Callable[[Session, datetime, int], Any], kind: str, done: list[int],
               report: TickReport, batch: int) -> int:
    """Claim one batch and act on each item in a savepoint, so one bad item does not block the rest."""
    with sessions.begin() as session:
        ids = claim(session, now, batch)
        for item in ids:
            try:
                with session.begin_nested():
                    act(session, now, item)
                done.append(item)
            except EngineError as exc:
                report.failed.append((kind, item, str(exc)))
                log.warning("%s %s failed: %s", kind, item, exc)
                _defer(session, kind, item, now)
    return len(ids)


def _defer(session: Session, kind: str, item: int, now: datetime) -> None:
    """Move a failing item's due time a little later instead of retrying it on every tick."""
    from datetime import timedelta

    later = to_db(now + timedelta(minutes=5))
    if kind == "timer":
        inst = session.get(Instance, item)
        if inst is not None:
            inst.next_timer_at = later
    else:
        clock = session.get(Clock, item)
        if clock is not None:
            clock.next_check_at = later


def tick(sessions: sessionmaker[Session], now: datetime, batch: int = BATCH, max_batches: int = 1000,
         send_mail: Callable[[Session, datetime], int] | None = None) -> TickReport:
    """Fire everything due at `now` (clock checks, then BPMN timers), batch by batch."""
    report = TickReport()
    for _ in range(max_batches):
        if not _run_batch(sessions, now, claim_clocks, clocks.check_clock, "clock", report.clocks, report, batch):
            break
    for _ in range(max_batches):
        if not _run_batch(sessions, now, claim_timers, instances.fire_timers, "timer", report.timers, report,
                          batch):
            break
    if send_mail is not None:
        with sessions.begin() as session:
            report.emails_sent = send_mail(session, now)
    return report
