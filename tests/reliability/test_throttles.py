"""Throttles: keyed on account, letter code and phone number as well as the address, shared by every
process (the counts are rows), believed addresses only from configured proxies; SMS limited per number,
per address and in all; a wrong guess costs the same work whether or not the record exists."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from engine.core.clock import FixedClock
from engine.gov import mailbox
from engine.org import directory as org
from engine.org import verification
from tests.conftest import NOW
from webapp import create_app
from webapp.extensions import db


def _app(databases: Any, **extra: Any) -> Flask:
    engine = databases.engine()
    app = create_app({"SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False),
                      "TESTING": True, "WTF_CSRF_ENABLED": False, "GOVFLOW_CLOCK": FixedClock(NOW), **extra})
    with app.app_context():
        org.create_user(db.session(), "zhang", password="right-password")
        db.session.commit()
    return app


def _ask_code(client: Any, phone: str, address: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/portal/mailbox/code", data={"phone": phone}, headers=headers,
                       environ_base={"REMOTE_ADDR": address}).status_code


def test_one_address_cannot_pump_sms_to_many_numbers(databases: Any) -> None:
    client = _app(databases).test_client()
    answers = [_ask_code(client, f"1380013{n:04d}", "198.51.100.5") for n in range(30)]
    assert answers == [200] * verification.PER_ADDRESS_HOUR + [429] * (30 - verification.PER_ADDRESS_HOUR)
    assert _ask_code(client, "13900000001", "198.51.100.6") == 200  # another address has its own count


def test_the_installation_sends_at_most_the_global_hourly_number(databases: Any, monkeypatch) -> None:
    monkeypatch.setattr(verification, "GLOBAL_HOUR", 4)
    client = _app(databases).test_client()
    answers = [_ask_code(client, f"1370013{n:04d}", f"203.0.113.{n}") for n in range(6)]
    assert answers == [200, 200, 200, 200, 429, 429]


def test_addresses_come_from_forwarded_headers_only_behind_configured_proxies(databases: Any) -> None:
    direct = _app(databases).test_client()  # forged X-Forwarded-For is ignored: one bucket for the socket peer
    answers = [_ask_code(direct, f"1360013{n:04d}", "10.0.0.2", f"192.0.2.{n}") for n in range(12)]
    assert answers.count(429) == 12 - verification.PER_ADDRESS_HOUR
    proxied = _app(databases, GOVFLOW_TRUSTED_PROXIES=1).test_client()  # behind nginx: each client its own
    answers = [_ask_code(proxied, f"1350013{n:04d}", "10.0.0.2", f"192.0.2.{n}") for n in range(12)]
    assert answers == [200] * 12


def test_login_guessing_is_throttled_per_account_whatever_the_address(databases: Any) -> None:
    client = _app(databases).test_client()
    for n in range(5):
        wrong = client.post("/login", data={"username": "zhang", "password": "guess"},
                            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"})
        assert wrong.status_code == 401
    blocked = client.post("/login", data={"username": "zhang", "password": "right-password"},
                          environ_base={"REMOTE_ADDR": "203.0.113.99"})
    assert blocked.status_code == 429


@pytest.fixture
def pbkdf2_calls(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = hashlib.pbkdf2_hmac

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", counting)
    return calls


def test_an_unknown_letter_code_costs_the_same_hash_work_as_a_wrong_password(session, now, pbkdf2_calls) -> None:
    sent = mailbox.receive_letter(session, now, phone="13800138000", category="consult", title="路灯", content="不亮")
    pbkdf2_calls.clear()
    assert mailbox.check_letter(session, now, sent.letter.code, "000000", "192.0.2.1") is None
    wrong_password = len(pbkdf2_calls)
    pbkdf2_calls.clear()
    assert mailbox.check_letter(session, now + timedelta(seconds=1), "M20261102999999", "000000", "192.0.2.2") is None
    assert wrong_password == len(pbkdf2_calls) == 1


def test_an_unknown_user_name_costs_the_same_hash_work_as_a_wrong_password(databases: Any, pbkdf2_calls) -> None:
    client = _app(databases).test_client()
    pbkdf2_calls.clear()
    client.post("/login", data={"username": "zhang", "password": "guess"})
    known = len(pbkdf2_calls)
    pbkdf2_calls.clear()
    client.post("/login", data={"username": "nobody", "password": "guess"})
    assert known == len(pbkdf2_calls) == 1
