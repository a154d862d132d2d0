"""Every route x every role answers with the status its blueprint's rule expects (anonymous: to the
login; a role without the right: 403; with it: never a login redirect, a 403 of the blueprint or a 500),
and random form input on every POST route, as a citizen and as an administrator, never gives a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from engine.clocks.models import Clock
from engine.core import events
from engine.core.clock import FixedClock
from engine.flow.models import HumanTask, Instance
from engine.gov import licensing
from engine.ops import webhooks
from engine.ops.webhook_models import WebhookDelivery
from engine.org import directory as org
from tests.conftest import NOW
from tests.reliability.conftest import report
from webapp import create_app, demo
from webapp.extensions import db

ROLES = {"anonymous": None, "clerk": ["clerk"], "designer": ["designer"], "supervisor": ["supervisor"],
         "city_leader": ["city_leader"], "admin": ["admin"]}
SUPERVISORS = {"supervisor", "city_leader", "admin"}
# Who may pass each blueprint's role check (the rules of webapp/pages.py and the incidents page).
RULES: dict[str, set[str] | None] = {
    "auth": None, "sso": None, "portal": None, "static": None,  # public
    "inbox": set(ROLES) - {"anonymous"}, "instances": set(ROLES) - {"anonymous"}, "notices": set(ROLES) - {"anonymous"},
    "supervision_orders": set(ROLES) - {"anonymous"}, "designer": {"designer", "admin"},
    "supervision": SUPERVISORS, "admin": {"admin"}, "instances.incident_list": {"designer", "admin"},
}
SKIPPED = {"auth.logout"}  # ends the role's session everywhere: tested in test_sessions_and_headers.py


@pytest.fixture(scope="module")
def app(databases: Any) -> Iterator[Flask]:
    engine = databases.engine()
    app = create_app({"SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False),
                      "TESTING": True, "WTF_CSRF_ENABLED": False, "GOVFLOW_CLOCK": FixedClock(NOW)})
    with app.app_context():
        s = db.session()
        demo.seed(s, NOW)
        for role, groups in ROLES.items():
            if groups is not None:
                org.create_user(s, f"r_{role}", groups=groups)
        org.create_user(s, "victim", groups=["clerk"])
        hook = webhooks.create(s, "admin", NOW, "http://127.0.0.1:9/hook", events.KINDS, ("127.0.0.1",))
        webhooks.store(s, NOW, [events.Event(events.INSTANCE_STARTED, {"instance_id": 1})])
        s.commit()
        app.config["PATH_VALUES"] = {
            "instance_id": s.scalar(select(Instance.id).order_by(Instance.id)),
            "task_id": s.scalar(select(HumanTask.id).where(HumanTask.status == "open").order_by(HumanTask.id)),
            "clock_id": s.scalar(select(Clock.id).order_by(Clock.id)) or 1, "username": "victim",
            "process_id": "leave_request", "code": next(iter(licensing.MATTERS)) if hasattr(licensing, "MATTERS") else "x",
            "filename": "style.css", "deputyship_id": 1, "attachment_id": 1, "copy_id": 1, "order_id": 1,
            "request_id": 1, "notification_id": 1, "mapping_id": 1, "subscription_id": hook.id,
            "delivery_id": s.scalar(select(WebhookDelivery.id).order_by(WebhookDelivery.id)),
        }
    yield app


def _client(app: Flask, role: str) -> Any:
    client = app.test_client()
    if ROLES[role] is not None:
        with client.session_transaction() as sess:
            sess["username"] = f"r_{role}"
    return client


def _routes(app: Flask, method: str) -> list[tuple[str, str]]:
    found = []
    values = app.config["PATH_VALUES"]
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint in SKIPPED:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[^:>]+:)?{name}>", str(values[name]), path)
        found.append((rule.endpoint, path))
    return sorted(found)


def _allowed(endpoint: str) -> set[str] | None:
    return RULES.get(endpoint, RULES.get(endpoint.split(".")[0], set()))


def _check(endpoint: str, role: str, answer: Any) -> str | None:
    """None when the answer is what the rule expects, else why not."""
    status, where = answer.status_code, answer.headers.get("Location", "")
    allowed = _allowed(endpoint)
    if status >= 500:
        return f"{status}"
    if allowed is None:
        return None
    if role == "anonymous":
        return None if status == 302 and "/login" in where else f"anonymous got {status}"
    if role not in allowed:
        return None if status == 403 else f"{role} got {status}, expected 403"
    if status == 302 and "/login" in where:
        return f"{role} was sent to the login"
    return None


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_route_and_role_gets_the_expected_status(app: Flask, method: str) -> None:
    wrong: list[str] = []
    statuses: dict[int, int] = {}
    for endpoint, path in _routes(app, method):
        for role in ROLES:
            client = _client(app, role)
            answer = client.get(path) if method == "GET" else client.post(path, data={})
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            problem = _check(endpoint, role, answer)
            if problem:
                wrong.append(f"{method} {path} as {role}: {problem}")
    checked = sum(statuses.values())
    report(f"authorization matrix {method}: {checked} route x role checks, {len(wrong)} unexpected "
           f"({', '.join(f'{n} x {code}' for code, n in sorted(statuses.items()))})")
    assert not wrong, wrong
    assert statuses.get(403, 0) > 20 and statuses.get(302, 0) > 20  # the rules were really exercised


FIELDS = ["title", "content", "phone", "code", "category", "writer_name", "letter_code", "password", "username",
          "display_name", "groups", "department", "email", "opinion_text", "opinion", "reason", "due_date",
          "rating", "comment", "number", "id_tail", "applicant", "id_number", "matter", "description", "note",
          "target", "assignee", "day", "kind", "deputy", "principal", "starts", "ends", "process_id", "q", "page",
          "approved", "supplement_note", "text", "signer", "department_code", "days", "next"]
TEXT = st.one_of(st.text(max_size=60), st.sampled_from(["", "0", "-1", "99999999999999999999", "2026-13-45",
                                                       "a\u202eb", "\u200b", "' OR 1=1 --", "<script>x</script>",
                                                       "${7*7}", "{{7*7}}", "P99999999Y", "x" * 6000]))
SEEN = {"requests": 0, "errors": 0}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_random_form_input_on_every_post_route_never_gives_a_500(app: Flask, data: Any) -> None:
    endpoint, path = data.draw(st.sampled_from(_routes(app, "POST")))
    role = data.draw(st.sampled_from(["anonymous", "admin", "clerk"]))
    form = data.draw(st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=8))
    SEEN["requests"] += 1
    try:
        status = _client(app, role).post(path, data=form).status_code
    except Exception as exc:  # an unhandled error is what a browser would see as a 500
        SEEN["errors"] += 1
        raise AssertionError(f"POST {path} as {role} with {form!r}: {type(exc).__name__}: {exc}") from exc
    if status >= 500:
        SEEN["errors"] += 1
    assert status < 500, f"POST {path} as {role} with {form!r}: {status}"


def test_zz_fuzz_figures() -> None:
    """Runs after the fuzz test in this module (same worker) and reports what it sent."""
    if SEEN["requests"]:
        report(f"form fuzz: {SEEN['requests']} random submissions to every POST route, 500s under fuzz: {SEEN['errors']}")
    assert SEEN["errors"] == 0
