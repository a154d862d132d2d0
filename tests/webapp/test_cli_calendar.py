"""`govflow calendar due|show|set|seed` through Flask's CLI runner."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.core.models import AuditEvent
from engine.ops.assembly import Base
from webapp import create_app
from webapp.extensions import db


@pytest.fixture
def runner(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cal.db'}", "TESTING": True})
    with app.app_context():
        Base.metadata.create_all(db.engine)
    return app.test_cli_runner()


def test_due_show_set(runner) -> None:
    result = runner.invoke(args=["calendar", "due", "2026-09-28", "5", "--unit", "wd", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["due_date"] == "2026-10-10" and payload["provisional"] is False
    assert payload["due_at"] == "2026-10-11T00:00:00+08:00"
    assert "loading the official schedule" in result.stderr

    result = runner.invoke(args=["calendar", "due", "2026-12-20", "15", "--unit", "cd"])
    assert result.exit_code == 0 and "2027-01-04" in result.stdout and "[provisional]" in result.stdout
    assert "not published" in result.stderr

    result = runner.invoke(args=["calendar", "show", "2026", "--json"])
    shown = json.loads(result.stdout)
    assert shown["status"] == "official"
    assert {"date": "2026-10-10", "kind": "makeup"}.items() <= next(
        d for d in shown["days"] if d["date"] == "2026-10-10").items()

    result = runner.invoke(args=["calendar", "set", "2026-10-23", "holiday", "--note", "临时放假", "--as", "admin"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["calendar", "due", "2026-09-21", "20"])
    assert result.stdout.startswith("2026-10-27")


def test_bad_input_is_refused_with_reason(runner) -> None:
    result = runner.invoke(args=["calendar", "due", "2026-13-01", "5"])
    assert result.exit_code != 0 and "2026-13-01" in result.output
    result = runner.invoke(args=["calendar", "set", "2026-10-23", "maybe", "--note", "x"])
    assert result.exit_code != 0 and "maybe" in result.output


def test_seed_is_idempotent_and_show_lists_named_days(runner) -> None:
    first = runner.invoke(args=["calendar", "seed"])
    assert first.exit_code == 0 and int(first.stdout.split()[0]) > 100
    again = runner.invoke(args=["calendar", "seed"])
    assert again.exit_code == 0 and again.stdout.startswith("0 days added")

    result = runner.invoke(args=["calendar", "show", "2026"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "2026: official, 248 working days, 33 holidays, 6 make-up days"
    assert "2026-10-03  holiday  国庆节" in result.stdout and "2026-02-28  makeup   春节" in result.stdout
    assert "loading" not in result.stderr  # already seeded


def test_provisional_year_is_flagged(runner) -> None:
    result = runner.invoke(args=["calendar", "show", "2027", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["status"], shown["working_days"], shown["days"]) == ("provisional", 261, [])
    assert "no published State Council schedule" in result.stderr
    result = runner.invoke(args=["calendar", "due", "2026-12-28", "5", "--json"])
    payload = json.loads(result.stdout)
    assert (payload["due_date"], payload["provisional"]) == ("2027-01-04", True)
    assert "warning" in result.stderr


def test_regional_set_and_audit(runner) -> None:
    result = runner.invoke(args=["calendar", "set", "2026-11-03", "holiday", "--note", "地方节日",
                                 "--region", "xz", "--as", "admin"])
    assert result.exit_code == 0 and "in xz" in result.stdout
    shown = json.loads(runner.invoke(args=["calendar", "show", "2026", "--region", "xz", "--json"]).stdout)
    day = next(d for d in shown["days"] if d["date"] == "2026-11-03")
    assert (day["region"], day["source"], day["note"]) == ("xz", "admin", "地方节日")
    assert runner.invoke(args=["calendar", "due", "2026-11-02", "1"]).stdout.startswith("2026-11-03")
    with runner.app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar_set"))
        assert event is not None and event.actor == "admin" and event.detail["region"] == "xz"
