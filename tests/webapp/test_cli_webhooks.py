"""`govflow webhooks`: subscribe a real receiver on loopback, send what is due, read the log, replay,
pause and remove; refusals exit non-zero with one line naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.clock import SystemClock
from tests.engine.ops.webhook_receiver import Receiver, running
from tests.webapp.test_cli import FIXTURES, Cli, _one_line_error


def test_webhooks_from_the_command_line(databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = databases.engine()
    run = Cli(engine.url.render_as_string(hide_password=False), tmp_path)
    monkeypatch.setenv("GOVFLOW_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    # The CLI signs with the wall clock (it is an edge), so the receiver checks against the same clock.
    with running(Receiver(lambda: int(SystemClock().now().timestamp()))) as receiver:
        refused = run("webhooks", "add", "http://127.0.0.1:1/x", "--event", "case.exploded", ok=False)
        assert "kinds: case.exploded is not an event kind" in _one_line_error(refused)
        made = run.json("webhooks", "add", receiver.url, "--event", "instance.started", "--description", "平台")
        receiver.secret = made["secret"]
        assert made["kinds"] == ["instance.started"] and made["secret"].startswith("whsec_")
        run("users", "create", "alice")
        run("definitions", "deploy", str(FIXTURES / "wait_timer.bpmn"), "--as", "alice")
        run("instances", "start", "wait_timer", "--as", "alice")
        assert run.json("webhooks", "deliver") == {"delivered": 1, "retrying": 0, "failed": 0, "gone": 0}
        assert receiver.kinds() == ["instance.started"] and receiver.bad_signatures == 0
        log = run.json("webhooks", "deliveries")
        [row] = log["deliveries"]
        assert (log["total"], row["status"], row["attempts"], row["last_status"]) == (1, "delivered", 1, 204)
        assert row["event"] in receiver.processed
        run("webhooks", "replay", str(row["id"]))
        assert run.json("webhooks", "deliver")["delivered"] == 1
        assert (len(receiver.processed), receiver.duplicates) == (1, 1)
        listed = run.json("webhooks", "list")
        assert [(s["url"], s["enabled"], s["deliveries"]) for s in listed] == [(receiver.url, True, {"delivered": 1})]
        assert run("webhooks", "disable", str(made["id"])).stdout.strip() == f"subscription {made['id']} disabled"
        assert run.json("webhooks", "list")[0]["enabled"] is False
        run("webhooks", "remove", str(made["id"]))
        assert run("webhooks", "list").stdout.strip() == "no subscriptions"
        assert "does not exist" in _one_line_error(run("webhooks", "replay", str(row["id"]), ok=False))
    monkeypatch.delenv("GOVFLOW_WEBHOOK_ALLOWED_HOSTS")
    inside = run("webhooks", "add", "http://127.0.0.1:1/x", "--event", "all", ok=False)
    assert "url: host 127.0.0.1 resolves to a loopback address" in _one_line_error(inside)
