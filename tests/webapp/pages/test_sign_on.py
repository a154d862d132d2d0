"""统一身份认证登录 against a real OpenID provider on loopback: discovery, code with PKCE, state and nonce,
signed ID tokens; linking on first login, rights that follow the provider's groups at the next login,
RP-initiated logout, and clear refusals for a wrong state, a replayed code, bad tokens and unknown
people."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from engine.core.clock import FixedClock
from engine.org import directory, roles, sign_on
from tests import oidc_provider
from tests.conftest import NOW
from webapp import create_app
from webapp.extensions import db


@pytest.fixture
def provider() -> Iterator[oidc_provider.Provider]:
    yield from oidc_provider.running()


def _settings(provider: oidc_provider.Provider, **changes: Any) -> sign_on.SignOnSettings:
    found = sign_on.settings_from_env({"GOVFLOW_OIDC_ISSUER": provider.issuer,
                                       "GOVFLOW_OIDC_CLIENT_ID": oidc_provider.CLIENT_ID,
                                       "GOVFLOW_OIDC_CLIENT_SECRET": oidc_provider.CLIENT_SECRET})
    assert found is not None
    return dataclasses.replace(found, **changes)


@pytest.fixture
def make_app(databases) -> Iterator[Any]:
    made: list[Flask] = []

    def make(settings: sign_on.SignOnSettings) -> Flask:
        engine = databases.engine()
        app = create_app({"SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False),
                          "TESTING": True, "WTF_CSRF_ENABLED": False, "GOVFLOW_CLOCK": FixedClock(NOW),
                          "GOVFLOW_OIDC": settings})
        with app.app_context():
            s = db.session()
            directory.ensure_department(s, "szfb", "市政府办公室")
            directory.create_user(s, "zhang", department="szfb", password="local-password")
            directory.create_user(s, "root", groups=["admin"])
            s.commit()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def _sign_in(client: FlaskClient, provider: oidc_provider.Provider) -> Any:
    """Through the whole redirect: govflow → the provider's authorization endpoint → back with a code."""
    start = client.get("/login/sso?next=/notices/")
    assert start.status_code == 302, start.text
    asked = urlsplit(start.headers["Location"])
    params = parse_qs(asked.query)
    assert params["code_challenge_method"] == ["S256"] and params["nonce"] and params["state"]
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    back = urlsplit(at_provider.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def _signed_in_as(client: FlaskClient) -> str | None:
    with client.session_transaction() as sess:
        return sess.get("username")


def test_the_login_page_offers_both_ways(provider, make_app) -> None:
    page = make_app(_settings(provider)).test_client().get("/login").text
    assert "统一身份认证登录" in page and 'name="password"' in page


def test_first_login_links_then_groups_give_rights_at_each_login(provider, make_app) -> None:
    app = make_app(_settings(provider))
    provider.claims = {"preferred_username": "zhang", "name": "张经办", "groups": ["sign_leaders"]}
    client = app.test_client()
    done = _sign_in(client, provider)
    assert done.status_code == 302 and done.headers["Location"] == "/notices/"
    assert _signed_in_as(client) == "zhang"
    with app.app_context():
        s = db.session()
        user = directory.get_user(s, "zhang")
        assert (user.oidc_subject, user.display_name) == ("sub-0001", "张经办")
        assert {r.code: r.source for r in roles.rights(s, "zhang")} == {"sign_leaders": "directory"}
        roles.add_mapping(s, "root", NOW, "sign_leaders", "city_leader")
        s.commit()
    provider.claims = {"preferred_username": "someone_else", "groups": ["sign_leaders"]}  # found by subject now
    assert _sign_in(app.test_client(), provider).status_code == 302
    with app.app_context():
        assert "city_leader" in directory.member_groups(db.session(), "zhang")
    provider.claims = {"groups": []}
    assert _sign_in(app.test_client(), provider).status_code == 302
    with app.app_context():
        assert directory.member_groups(db.session(), "zhang") == frozenset()


def test_unknown_people_are_refused_unless_the_office_creates_accounts(provider, make_app) -> None:
    provider.subject, provider.claims = "sub-new", {"preferred_username": "newcomer", "name": "新同事",
                                                    "department": "szfb"}
    app = make_app(_settings(provider))
    client = app.test_client()
    refused = _sign_in(client, provider)
    assert refused.status_code == 403 and "没有为您（newcomer）开通账号" in refused.text
    assert _signed_in_as(client) is None
    app = make_app(_settings(provider, auto_create=True))
    client = app.test_client()
    assert _sign_in(client, provider).status_code == 302 and _signed_in_as(client) == "newcomer"
    with app.app_context():
        user = directory.get_user(db.session(), "newcomer")
        assert user.display_name == "新同事" and user.department.code == "szfb" and user.password_hash is None


def test_a_disabled_account_is_refused(provider, make_app) -> None:
    app = make_app(_settings(provider))
    with app.app_context():
        directory.get_user(db.session(), "zhang").active = False
        db.session.commit()
    provider.claims = {"preferred_username": "zhang"}
    refused = _sign_in(app.test_client(), provider)
    assert refused.status_code == 403 and "已停用" in refused.text


def test_a_wrong_state_and_a_replayed_code_are_refused(provider, make_app) -> None:
    app = make_app(_settings(provider))
    provider.claims = {"preferred_username": "zhang"}
    client = app.test_client()
    start = client.get("/login/sso")
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    code = parse_qs(back.query)["code"][0]
    forged = client.get(f"/login/sso/callback?code={code}&state=forged")
    assert forged.status_code == 400 and "登录状态不符" in forged.text and _signed_in_as(client) is None
    assert client.get(f"{back.path}?{back.query}").status_code == 302  # the real answer still signs in
    replayed = app.test_client().get(f"{back.path}?{back.query}")  # the same answer in another browser
    assert replayed.status_code == 400 and "登录状态不符" in replayed.text

    first = app.test_client()
    assert _sign_in(first, provider).status_code == 302
    used = next(iter(provider.used))
    again = app.test_client()
    fresh = again.get("/login/sso")
    state = parse_qs(urlsplit(fresh.headers["Location"]).query)["state"][0]
    replay = again.get(f"/login/sso/callback?code={used}&state={state}")
    assert replay.status_code == 400 and "invalid_grant" in replay.text and _signed_in_as(again) is None


@pytest.mark.parametrize("mode", ["expired", "foreign_audience", "unsigned", "unknown_key"])
def test_bad_id_tokens_are_refused(provider, make_app, mode) -> None:
    app = make_app(_settings(provider))
    provider.claims, provider.mode = {"preferred_username": "zhang"}, mode
    client = app.test_client()
    refused = _sign_in(client, provider)
    assert refused.status_code == 400 and "身份令牌校验失败" in refused.text
    assert _signed_in_as(client) is None
    with app.app_context():
        assert directory.get_user(db.session(), "zhang").oidc_subject is None


def test_logout_continues_at_the_provider(provider, make_app) -> None:
    app = make_app(_settings(provider))
    provider.claims = {"preferred_username": "zhang"}
    client = app.test_client()
    _sign_in(client, provider)
    with app.app_context():
        generation = directory.get_user(db.session(), "zhang").session_generation
    out = client.post("/logout")
    assert out.status_code == 302 and out.headers["Location"].startswith(f"{provider.issuer}/logout?")
    assert "form-action 'self' http://127.0.0.1:" in out.headers["Content-Security-Policy"]
    back = requests.get(out.headers["Location"], allow_redirects=False, timeout=10)
    assert back.headers["Location"] == "http://localhost/login"
    [ended] = provider.logouts
    assert ended["id_token_hint"].count(".") == 2 and ended["post_logout_redirect_uri"] == "http://localhost/login"
    with app.app_context():
        assert directory.get_user(db.session(), "zhang").session_generation == generation + 1
    assert _signed_in_as(client) is None


def test_a_password_login_logs_out_here_only(provider, make_app) -> None:
    client = make_app(_settings(provider)).test_client()
    assert client.post("/login", data={"username": "zhang", "password": "local-password"}).status_code == 302
    out = client.post("/logout")
    assert out.status_code == 302 and out.headers["Location"] == "/login"


def test_an_office_may_switch_local_passwords_off(provider, make_app) -> None:
    client = make_app(_settings(provider, local_passwords=False)).test_client()
    page = client.get("/login").text
    assert "统一身份认证登录" in page and 'name="password"' not in page
    refused = client.post("/login", data={"username": "zhang", "password": "local-password"})
    assert refused.status_code == 403 and _signed_in_as(client) is None


def test_settings_name_what_is_wrong() -> None:
    assert sign_on.settings_from_env({}) is None
    with pytest.raises(Exception) as missing:
        sign_on.settings_from_env({"GOVFLOW_OIDC_ISSUER": "https://idp.gov.test"})
    assert getattr(missing.value, "field", None) == "GOVFLOW_OIDC_CLIENT_ID"
    with pytest.raises(Exception) as claims:
        sign_on.settings_from_env({"GOVFLOW_OIDC_ISSUER": "https://idp.gov.test", "GOVFLOW_OIDC_CLIENT_ID": "x",
                                   "GOVFLOW_OIDC_CLAIMS": "login"})
    assert getattr(claims.value, "field", None) == "GOVFLOW_OIDC_CLAIMS"
    mapped = sign_on.settings_from_env({"GOVFLOW_OIDC_ISSUER": "https://idp.gov.test/", "GOVFLOW_OIDC_CLIENT_ID": "x",
                                        "GOVFLOW_OIDC_CLAIMS": "login=uid,groups=roles", "GOVFLOW_OIDC_AUTO_CREATE": "1"})
    assert mapped is not None and mapped.issuer == "https://idp.gov.test" and mapped.auto_create
    assert mapped.claims["login"] == "uid" and mapped.claims["groups"] == "roles"
