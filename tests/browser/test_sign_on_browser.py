"""统一身份认证 in a real Chromium: the login page's button, the provider's redirect and back with a code,
the signed-in header, and logout through the provider's end-session endpoint back to the login page."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine.core.clock import FixedClock
from engine.org import directory, sign_on
from tests import oidc_provider
from tests.browser.conftest import follow, screenshot
from tests.conftest import NOW
from webapp import create_app
from webapp.extensions import db


@pytest.fixture
def provider() -> Iterator[oidc_provider.Provider]:
    yield from oidc_provider.running()


@pytest.fixture
def sso_server(databases: Any, provider: oidc_provider.Provider) -> Iterator[str]:
    settings = sign_on.settings_from_env({"GOVFLOW_OIDC_ISSUER": provider.issuer,
                                          "GOVFLOW_OIDC_CLIENT_ID": oidc_provider.CLIENT_ID,
                                          "GOVFLOW_OIDC_CLIENT_SECRET": oidc_provider.CLIENT_SECRET})
    assert settings is not None
    engine = databases.engine()
    app = create_app({"SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False),
                      "TESTING": True, "GOVFLOW_CLOCK": FixedClock(NOW),
                      "GOVFLOW_OIDC": dataclasses.replace(settings, auto_create=True)})
    with app.app_context():
        directory.ensure_department(db.session(), "szfb", "市政府办公室")
        db.session.commit()
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    with app.app_context():
        db.engine.dispose()


def test_sign_in_and_out_through_the_provider(page: Any, sso_server: str, provider: oidc_provider.Provider) -> None:
    provider.subject = "sub-browser"
    provider.claims = {"preferred_username": "liu", "name": "刘科员", "department": "szfb"}
    page.goto(f"{sso_server}/login?next=/notices/")
    follow(page, "text=统一身份认证登录")
    assert page.url == f"{sso_server}/notices/"
    assert "刘科员" in page.inner_text("header")
    screenshot(page, "sso-signed-in")
    follow(page, "form[action='/logout'] button")
    assert page.url == f"{sso_server}/login"
    assert len(provider.logouts) == 1 and provider.logouts[0]["id_token_hint"]
    page.goto(f"{sso_server}/notices/")
    assert page.url.startswith(f"{sso_server}/login")  # signed out here too
