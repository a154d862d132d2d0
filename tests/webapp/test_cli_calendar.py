"""`govflow calendar due|show|set|seed` through Flask's CLI runner."""

from __future__ import annotations

import json

import pytest

from engine.models import Base
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
