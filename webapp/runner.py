"""Runs the engine's scheduler tick on an interval (APScheduler only ticks; the engine decides)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.orm import Session

from engine.core.clock import Clock, SystemClock
from engine.core.db import make_sessionmaker
from engine.core.errors import InvalidInput
from engine.gov import portal, supervision
from engine.ops import directory_sync, scheduler, webhook_delivery
from engine.org import ldap_source, notify
from webapp.extensions import db

log = logging.getLogger("govflow.scheduler")


def mail_sender() -> Callable[[Session, datetime], int] | None:
    """Outbox e-mail goes out only where an SMTP host is configured."""
    if not os.environ.get("GOVFLOW_SMTP_HOST"):
        return None
    settings = notify.SmtpSettings.from_env()
    return lambda session, now: notify.send_pending(session, now, settings).sent


def make_tick(app: Flask, clock: Clock | None = None) -> Callable[[], scheduler.TickReport]:
    """A callable doing one tick against the app's database with the given clock."""
    clock = clock or SystemClock()
    with app.app_context():
        sessions = make_sessionmaker(db.engine)
    sender = mail_sender()
    allowed_hosts = tuple(app.config.get("GOVFLOW_WEBHOOK_ALLOWED_HOSTS") or ())

    def tick() -> scheduler.TickReport:
        report = scheduler.tick(sessions, clock.now(), send_mail=sender)
        started, failed = portal.retry_pending(sessions, clock.now())
        with sessions.begin() as session:  # 督办单 past their deadline turn overdue and tell both sides
            supervision.mark_overdue(session, clock.now())
        # Last, so the events this tick caused (warnings, timers' next steps) go out in the same tick.
        report.webhooks_delivered = webhook_delivery.deliver_due(sessions, clock.now(), allowed_hosts).delivered
        if started or failed:
            log.info("portal submissions: %d started, %d still failing", started, failed)
        if report.fired or report.failed:
            log.info("fired %d clock checks, %d timers; %d failed", len(report.clocks), len(report.timers),
                     len(report.failed))
        return report

    return tick


def make_directory_sync(app: Flask, clock: Clock | None = None) -> Callable[[], Any] | None:
    """The scheduled directory sync, where GOVFLOW_LDAP_SYNC_MINUTES asks for one (None otherwise);
    each batch commits, so a sync cut short by a restart is finished by the next."""
    if not os.environ.get("GOVFLOW_LDAP_SYNC_MINUTES"):
        return None
    settings = ldap_source.settings_from_env(os.environ)
    clock = clock or SystemClock()
    with app.app_context():
        sessions = make_sessionmaker(db.engine)

    def sync() -> Any:
        with sessions() as session:
            plan = directory_sync.run(session, None, clock.now(), settings,
                                      after_batch=lambda done, total: session.commit())
            session.commit()
        if plan.changes or plan.problems:
            log.info("directory sync: %s; %d problems", plan.summary(), len(plan.problems))
        return plan

    return sync


def sync_interval_minutes() -> float:
    """GOVFLOW_LDAP_SYNC_MINUTES as a number of minutes (at least 1), named when it is not one."""
    raw = os.environ.get("GOVFLOW_LDAP_SYNC_MINUTES", "").strip()
    try:
        minutes = float(raw)
    except ValueError:
        minutes = 0
    if minutes < 1:
        raise InvalidInput(f"GOVFLOW_LDAP_SYNC_MINUTES 应为至少 1 的分钟数 / GOVFLOW_LDAP_SYNC_MINUTES must be a "
                           f"number of minutes of at least 1, not '{raw}'", field="GOVFLOW_LDAP_SYNC_MINUTES")
    return minutes


def _add_job(sched: Any, tick: Callable[[], Any], interval: float, app: Flask | None = None) -> None:
    # One run at a time; runs missed while busy or down collapse into one (it catches up by itself).
    sched.add_job(tick, "interval", seconds=interval, max_instances=1, coalesce=True,
                  misfire_grace_time=None, id="govflow-tick")
    sync = make_directory_sync(app) if app is not None else None
    if sync is not None:
        sched.add_job(sync, "interval", minutes=sync_interval_minutes(), max_instances=1, coalesce=True,
                      misfire_grace_time=None, id="govflow-directory-sync")


def run_blocking(app: Flask, interval: float = 1.0) -> None:
    """`govflow scheduler`: tick until interrupted."""
    sched = BlockingScheduler()
    _add_job(sched, make_tick(app), interval, app)
    sched.start()


def start_background(app: Flask, interval: float = 1.0) -> BackgroundScheduler:
    """The scheduler inside the demo server process."""
    sched = BackgroundScheduler(daemon=True)
    _add_job(sched, make_tick(app), interval, app)
    sched.start()
    return sched
