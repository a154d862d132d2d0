"""`govflow scheduler --once` fires what is due now and reports it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from engine.flow import definitions, instances
from engine.ops.assembly import Base
from engine.org import directory as org
from webapp import create_app
from webapp.extensions import db

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn" / "wait_timer.bpmn"


def test_scheduler_once_fires_due_timer(tmp_path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 's.db'}", "TESTING": True})
    long_ago = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        org.create_user(db.session(), "starter")
        definitions.deploy(db.session(), "starter", long_ago, [(FIXTURE.name, FIXTURE.read_bytes())])
        inst = instances.start(db.session(), "starter", long_ago, "wait_timer")
        db.session.commit()
        instance_id = inst.id
    runner = app.test_cli_runner()
    result = runner.invoke(args=["scheduler", "--once", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["timers"] == [instance_id]
    again = runner.invoke(args=["scheduler", "--once"])
    assert "fired 0 clock checks and 0 timers" in again.stdout
