"""Sandbox hard caps hold for every operation, not only in loops: one built-in call can no longer grow
a worker by gigabytes or spin its CPU; a script over a cap fails its step with an incident that
designers and administrators see, and the worker stays under 300 MB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.bpmn import sandbox_guards as guards
from engine.bpmn.sandbox import SandboxEnvironment, SandboxViolation
from engine.core.clock import FixedClock
from engine.flow import definitions, incidents, instances, tasks
from engine.org import directory as org
from tests.conftest import NOW
from tests.reliability.bpmn import script_process
from tests.reliability.hostile_scripts import HOSTILE
from webapp import create_app
from webapp.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def test_each_hostile_operation_is_refused_and_the_worker_stays_under_300_mb() -> None:
    """A fresh process with the web app loaded runs every hostile script; its peak memory is read back."""
    result = subprocess.run([sys.executable, str(Path(__file__).with_name("hostile_scripts.py"))], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("\t", 1) for line in result.stdout.splitlines())
    outcomes = {name: lines.get(name, "missing") for name in HOSTILE}
    assert all(value.startswith("refused") for value in outcomes.values()), outcomes
    assert int(lines["peak_rss_mb"]) < 300, lines


@pytest.mark.parametrize("script", ["x = len(str(list(range(1000))))", "x = f'{[1, 2, 3]}' + repr({'a': 1})",
                                    "x = (255).to_bytes(2, 'big').hex()", "x = pow(3, 200, 7)",
                                    "x = '%s-%d' % ('a', 5)"])
def test_ordinary_calls_still_work(script: str) -> None:
    context: dict[str, Any] = {}
    SandboxEnvironment().execute(script, context)
    assert "x" in context


def test_a_refused_call_inside_try_still_fails_the_script() -> None:
    with pytest.raises(SandboxViolation, match="byte string"):
        SandboxEnvironment().execute("try:\n    x = (1).to_bytes(10**9, 'big')\nexcept Exception:\n    x = 0", {})


def test_cpu_is_checked_at_every_call_without_any_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guards, "MAX_CPU_SECONDS", 0.05)
    script = "l = list(range(50000))\n" + "x = sorted(l, reverse=True)\n" * 2000
    with pytest.raises(SandboxViolation, match="seconds of CPU"):
        SandboxEnvironment().execute(script, {})


@pytest.fixture
def app(databases: Any) -> Flask:
    engine = databases.engine()
    app = create_app({"SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False),
                      "TESTING": True, "WTF_CSRF_ENABLED": False, "GOVFLOW_CLOCK": FixedClock(NOW)})
    with app.app_context():
        s = db.session()
        for name, groups in (("zhang", ["clerk"]), ("des", ["designer"]), ("root", ["admin"])):
            org.create_user(s, name, groups=groups)
        content = script_process("hostile", HOSTILE["str_of_shared_list"])
        definitions.deploy(s, "des", NOW, [("hostile.bpmn", content)])
        inst = instances.start(s, "zhang", NOW, "hostile")
        app.config["TEST_TASK"] = tasks.open_for_instance(s, inst.id)[0].id
        app.config["TEST_INSTANCE"] = inst.id
        s.commit()
    return app


def _client(app: Flask, username: str) -> Any:
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["username"] = username
    return client


def test_a_script_over_the_cap_fails_the_step_with_an_incident_designers_and_admins_see(app: Flask) -> None:
    task_id, instance_id = app.config["TEST_TASK"], app.config["TEST_INSTANCE"]
    answer = _client(app, "zhang").post(f"/inbox/tasks/{task_id}/complete", data={})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "Calculate" in text and "1000000" in text
    with app.app_context():
        found = incidents.latest(db.session())
        assert [(i.instance_id, i.element_id, i.actor) for i in found] == [(instance_id, "calc", "zhang")]
        assert [t.element_id for t in tasks.open_for_instance(db.session(), instance_id)] == ["fill"]
    for user in ("des", "root"):
        page = _client(app, user).get("/instances/incidents")
        assert page.status_code == 200 and f'data-incident="{instance_id}"' in page.get_data(as_text=True)
        assert "运行故障" in page.get_data(as_text=True)
    assert _client(app, "zhang").get("/instances/incidents").status_code == 403
    trail = _client(app, "root").get(f"/instances/{instance_id}").get_data(as_text=True)
    assert 'data-action="incident"' in trail
