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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from engine.clocks import lifecycle
from engine.clocks.models import Clock, ClockPolicy
from engine.core.clock import to_db
from engine.core.errors import EngineError, ExecutionError
from engine.flow import incidents, instances
from engine.flow.models import Instance
from engine.ops import assembly  # noqa: F401  (the built-in services a timer's next steps may run)

log = logging.getLogger("govflow.scheduler")
BATCH = 100


@dataclass
class TickReport:
    """What one tick did, by id, so callers and tests can see exactly what fired."""

    clocks: list[int] = field(default_factory=list)
    timers: list[int] = field(default_factory=list)
    failed: list[tuple[str, int, str]] = field(default_factory=list)
    emails_sent: int = 0
    webhooks_delivered: int = 0

    @property
    def fired(self) -> int:
        return len(self.clocks) + len(self.timers)


def _locked(session: Session, query: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=query.columns_clause_froms[0])
    return query


def _claim(session: Session, query: Any) -> list[int]:
    return list(session.scalars(_locked(session, query)))


def claim_clocks(session: Session, now: datetime, limit: int = BATCH) -> list[int]:
    """Active clocks whose next check has come, earliest first, locked for this transaction."""
    return _claim(session, select(Clock.id).where(Clock.active.is_(True), Clock.next_check_at <= to_db(now))
                  .order_by(Clock.next_check_at).limit(limit))


def claim_due_clocks(session: Session, now: datetime, limit: int = BATCH) -> list[lifecycle.DueClock]:
    """claim_clocks (the same rows, order and locks) returning the rows the set-based check reads."""
    return [lifecycle.DueClock(*row) for row in session.execute(_locked(session, lifecycle.select_due().where(
        Clock.active.is_(True), Clock.next_check_at <= to_db(now)).order_by(Clock.next_check_at).limit(limit)))]


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
            _act_one(session, now, act, kind, item, done, report)
    return len(ids)


def _act_one(session: Session, now: datetime, act: Callable[[Session, datetime, int], Any], kind: str,
             item: int, done: list[int], report: TickReport) -> None:
    try:
        with session.begin_nested():
            act(session, now, item)
        done.append(item)
    except EngineError as exc:
        report.failed.append((kind, item, str(exc)))
        log.warning("%s %s failed: %s", kind, item, exc)
        _defer(session, kind, item, now)
        if isinstance(exc, ExecutionError):
            incidents.record(session, now, exc, None)


def _run_clock_batch(sessions: sessionmaker[Session], now: datetime, report: TickReport, batch: int) -> int:
    """Claim one batch of clocks and check them set-based (lifecycle.check_due_clocks), in claim order.

    Clocks whose expiry action fires (they deliver a BPMN message) and clocks without a known policy go
    through check_clock one by one, each in its savepoint; the clocks after such a one are read again, as
    it may have changed them. If a set-based step fails, its clocks are checked one by one instead."""
    with sessions.begin() as session:
        claimed = claim_due_clocks(session, now, batch)
        pending = [clock.id for clock in claimed]
        due: dict[int, lifecycle.DueClock] | None = {clock.id: clock for clock in claimed}
        policies: dict[str, ClockPolicy] = {}
        while pending:
            if due is None:
                due = lifecycle.load_due(session, pending)
            policies.update(lifecycle.load_policies(session, {c.policy_code for c in due.values()} - set(policies)))
            bulk = []
            for item in pending:
                clock = due.get(item)
                if lifecycle.needs_check_clock(clock, policies.get(clock.policy_code) if clock else None, now):
                    break
                assert clock is not None
                bulk.append(clock)
            if bulk:
                _check_set(session, now, bulk, policies, report)
            single = 0
            for item in pending[len(bulk):]:
                clock = due.get(item)
                if single and not lifecycle.needs_check_clock(
                        clock, policies.get(clock.policy_code) if clock else None, now):
                    break  # read again: the checks just made may have finished or changed it
                _act_one(session, now, lifecycle.check_clock, "clock", item, report.clocks, report)
                single += 1
            pending, due = pending[len(bulk) + single:], None
    return len(claimed)


def _check_set(session: Session, now: datetime, bulk: list[lifecycle.DueClock], policies: dict[str, ClockPolicy],
               report: TickReport) -> None:
    try:
        with session.begin_nested():
            lifecycle.check_due_clocks(session, now, bulk, policies)
    except (EngineError, SQLAlchemyError) as exc:
        log.warning("set-based check of %d clocks failed (%s); checking them one by one", len(bulk), exc)
        for clock in bulk:
            _act_one(session, now, lifecycle.check_clock, "clock", clock.id, report.clocks, report)
        return
    report.clocks.extend(clock.id for clock in bulk)
    # Clock objects an earlier check_clock loaded are older than the rows just written.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Clock):
            session.expire(obj)


def _defer(session: Session, kind: str, item: int, now: datetime) -> None:
    """Move a failing item's due time a little later instead of retrying it on every tick."""
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
        if not _run_clock_batch(sessions, now, report, batch):
            break
    for _ in range(max_batches):
        if not _run_batch(sessions, now, claim_timers, instances.fire_timers, "timer", report.timers, report,
                          batch):
            break
    if send_mail is not None:
        with sessions.begin() as session:
            report.emails_sent = send_mail(session, now)
    return report
