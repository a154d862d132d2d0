"""Sessions end where they should (logout, new password, disabled account, "sign out everywhere"), the
secret key is never silently made up outside tests and the demo, proxies are believed only when
configured, and every page carries the security headers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request

from engine.core.clock import FixedClock
from engine.ops import accounts
from engine.org import directory as org
from tests.conftest import NOW
from webapp import create_app
from webapp.extensions import db

PASSWORD = "s3cret-pass"


def _app(databases: Any, **extra: Any) -> Flask:
    engine = databases.engine()
    return create_app({"SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False),
                       "TESTING": True, "WTF_CSRF_ENABLED": False, "GOVFLOW_CLOCK": FixedClock(NOW), **extra})


@pytest.fixture
def app(databases: Any) -> Iterator[Flask]:
    app = _app(databases)
    with app.app_context():
        org.create_user(db.session(), "root", password=PASSWORD, groups=["admin"])
        org.create_user(db.session(), "zhang", password=PASSWORD, groups=["clerk"])
        db.session.commit()
    yield app


def _signed_in(app: Flask, username: str = "zhang") -> Any:
    client = app.test_client()
    answer = client.post("/login", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert client.get("/inbox/").status_code == 200
    return client


def _copy(app: Flask, client: Any) -> Any:
    """A second browser holding the same session cookie (a stolen or shared cookie)."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    other.set_cookie("session", cookie.value)
    return other


def _is_signed_out(client: Any) -> bool:
    answer = client.get("/inbox/")
    return answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_logout_ends_the_session_also_for_a_copy_of_its_cookie(app: Flask) -> None:
    client = _signed_in(app)
    thief = _copy(app, client)
    assert not _is_signed_out(thief)
    client.post("/logout")
    assert _is_signed_out(thief) and _is_signed_out(client)


def test_a_new_password_or_a_disabled_account_ends_every_session(app: Flask) -> None:
    phone, desk = _signed_in(app), _signed_in(app)
    with app.app_context():
        accounts.update(db.session(), "root", NOW, "zhang", display_name="zhang", department=None,
                        groups="clerk", email=None, active=True, password="another-pass-1")
        db.session.commit()
    assert _is_signed_out(phone) and _is_signed_out(desk)
    again = app.test_client()
    assert again.post("/login", data={"username": "zhang", "password": "another-pass-1"}).status_code == 302
    with app.app_context():
        accounts.update(db.session(), "root", NOW, "zhang", display_name="zhang", department=None,
                        groups="clerk", email=None, active=False)
        db.session.commit()
        assert org.get_user(db.session(), "zhang").session_generation == 2
    assert _is_signed_out(again)


def test_an_administrator_signs_a_user_out_everywhere(app: Flask) -> None:
    clerk, admin = _signed_in(app), _signed_in(app, "root")
    copy = _copy(app, clerk)
    answer = admin.post("/admin/users/zhang/sign-out")
    assert answer.status_code == 302
    assert _is_signed_out(clerk) and _is_signed_out(copy) and not _is_signed_out(admin)


def test_production_refuses_to_start_without_a_secret_key(databases: Any, monkeypatch) -> None:
    monkeypatch.delenv("GOVFLOW_SECRET_KEY", raising=False)
    monkeypatch.delenv("GOVFLOW_DEMO", raising=False)
    with pytest.raises(RuntimeError, match="GOVFLOW_SECRET_KEY is not set"):
        _app(databases, TESTING=False)


def test_the_demo_keeps_one_generated_key_for_all_its_processes(databases: Any, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GOVFLOW_SECRET_KEY", raising=False)
    monkeypatch.setenv("GOVFLOW_DEMO", "1")
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path))
    first, second = _app(databases, TESTING=False), _app(databases, TESTING=False)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()
    assert len(first.config["SECRET_KEY"]) == 64 and (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def _address_app(databases: Any, proxies: int) -> Flask:
    app = _app(databases, GOVFLOW_TRUSTED_PROXIES=proxies)

    @app.get("/__address")
    def address() -> str:
        return f"{request.remote_addr} {request.scheme}"
    return app


def test_forwarded_addresses_are_believed_only_behind_configured_proxies(databases: Any) -> None:
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    direct = _address_app(databases, 0).test_client()
    assert direct.get("/__address", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.9"}).text == "10.0.0.9 http"
    behind = _address_app(databases, 1).test_client()
    answer = behind.get("/__address", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert answer.text == "203.0.113.7 https" and "max-age=" in answer.headers["Strict-Transport-Security"]


def test_every_page_carries_the_security_headers(app: Flask) -> None:
    client = _signed_in(app)
    for path in ("/login", "/inbox/", "/portal/", "/portal/mailbox/write", "/static/style.css", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, path
        assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "same-origin", path
        assert headers["X-Content-Type-Options"] == "nosniff" and "Strict-Transport-Security" not in headers, path
    assert "max-age=31536000" in client.get("/login", base_url="https://govflow.example").headers[
        "Strict-Transport-Security"]


def test_govflow_serve_refuses_without_a_secret_key_while_other_commands_run(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GOVFLOW_SECRET_KEY", "GOVFLOW_DEMO")}
    env["GOVFLOW_DATABASE_URL"] = f"sqlite:///{tmp_path / 'k.db'}"
    command = [sys.executable, "-c", "from webapp.console import main; main()"]
    upgrade = subprocess.run([*command, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert upgrade.returncode == 0, upgrade.stderr
    serve = subprocess.run([*command, "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=120)
    assert serve.returncode != 0 and "GOVFLOW_SECRET_KEY is not set" in serve.stderr
