"""Page tests: the app on a fresh database with the demo organisation and a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.calendar import workdays
from engine.clocks.policies import seed_policies
from engine.core.clock import FixedClock
from engine.flow import definitions
from engine.org import demo as demo_org
from engine.org import directory as org
from tests.conftest import NOW
from webapp import create_app
from webapp.extensions import db

ROOT = Path(__file__).resolve().parents[3]
@pytest.fixture
def app(databases: Any) -> Iterator[Flask]:
    engine = databases.engine()
    app = create_app({"SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False),
                      "TESTING": True, "WTF_CSRF_ENABLED": False, "GOVFLOW_CLOCK": FixedClock(NOW)})
    with app.app_context():
        s = db.session()
        seed_policies(s)
        workdays.seed_official(s, NOW)
        demo_org.seed_org(s)
        leave = (ROOT / "processes" / "leave_request.bpmn").read_bytes()
        definitions.deploy(s, "admin", NOW, [("leave_request.bpmn", leave)])
        for name, groups in [("zhang", ["clerk"]), ("li", ["dept_head"]), ("wang", ["office"])]:
            org.create_user(s, name, groups=groups, department="szfb")
        s.commit()
    yield app
    with app.app_context():  # each test's app has its own pool: give its connections back (PostgreSQL counts them)
        db.engine.dispose()
    engine.dispose()


@pytest.fixture
def as_user(app: Flask) -> Any:
    def login(username: str) -> FlaskClient:
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["username"] = username
        return client
    return login


@pytest.fixture
def now() -> datetime:
    return NOW
