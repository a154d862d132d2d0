"""The scheduled directory sync: on only where GOVFLOW_LDAP_SYNC_MINUTES asks for it, a job beside the
tick, and one run of it against slapd brings the people in with the scheduler's clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from engine.core.clock import FixedClock
from engine.core.errors import InvalidInput
from engine.core.models import AuditEvent
from engine.ops.assembly import Base
from engine.org.models import User
from tests import ldap_server
from tests.conftest import NOW
from webapp import create_app, runner
from webapp.extensions import db


@pytest.fixture
def slapd(tmp_path) -> Iterator[ldap_server.Slapd]:
    ldap_server.require_slapd()
    yield from ldap_server.running(tmp_path / "ldap", ldap_server.office_ldif(30))


@pytest.fixture
def app(databases):
    engine = databases.engine()
    app = create_app({"SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False), "TESTING": True})
    with app.app_context():
        Base.metadata.create_all(db.engine)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_no_sync_job_unless_asked(app, monkeypatch) -> None:
    monkeypatch.delenv("GOVFLOW_LDAP_SYNC_MINUTES", raising=False)
    assert runner.make_directory_sync(app) is None
    sched = BackgroundScheduler()
    runner._add_job(sched, lambda: None, 1.0, app)
    assert [job.id for job in sched.get_jobs()] == ["govflow-tick"]


def test_the_scheduled_sync_runs_beside_the_tick(app, slapd, monkeypatch) -> None:
    for name, value in slapd.env(GOVFLOW_LDAP_SYNC_MINUTES="30").items():
        monkeypatch.setenv(name, value)
    sched = BackgroundScheduler()
    runner._add_job(sched, lambda: None, 1.0, app)
    job = sched.get_job("govflow-directory-sync")
    assert job is not None and job.trigger.interval.total_seconds() == 1800
    sync = runner.make_directory_sync(app, FixedClock(NOW))
    assert sync is not None
    plan = sync()
    assert plan.summary()["person"] == {"added": 29}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 29
        at = db.session.scalar(select(AuditEvent.at).where(AuditEvent.action == "directory_synced"))
        assert at == NOW.replace(tzinfo=None)
    assert sync().changes == []


def test_a_bad_interval_is_named(app, slapd, monkeypatch) -> None:
    for name, value in slapd.env(GOVFLOW_LDAP_SYNC_MINUTES="soon").items():
        monkeypatch.setenv(name, value)
    with pytest.raises(InvalidInput) as refused:
        runner._add_job(BackgroundScheduler(), lambda: None, 1.0, app)
    assert refused.value.field == "GOVFLOW_LDAP_SYNC_MINUTES"
