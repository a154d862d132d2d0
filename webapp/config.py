"""Configuration classes; environment variables override them (GOVFLOW_*)."""

from __future__ import annotations

import os
import secrets

MISSING_KEY = ("GOVFLOW_SECRET_KEY is not set. Set it to one long random value shared by every govflow process "
               "(e.g. the output of: python3 -c 'import secrets; print(secrets.token_hex(32))'); for a local demo "
               "set GOVFLOW_DEMO=1 instead, which keeps a generated key in the instance folder.")


class Config:
    """Defaults for a local run on SQLite under the instance folder."""

    SQLALCHEMY_DATABASE_URI: str | None = None
    SECRET_KEY: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {}
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    GOVFLOW_SCHEDULER = False
    TESTING = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600  # one working day
    GOVFLOW_CLOCK: object | None = None  # anything with now(); tests inject a FixedClock
    GOVFLOW_TRUSTED_PROXIES = 0           # reverse proxies in front (nginx: 1); their X-Forwarded-* are believed
    GOVFLOW_MAX_TIMER_YEARS = 10          # longest timer duration deploy and run time accept
    GOVFLOW_MIN_TIMER_INTERVAL = 60       # seconds between two firings of a repeating timer, at least
    GOVFLOW_MAX_TIMER_CYCLES = 1000       # firings of a repeating timer, at most
    # Hosts webhooks may reach although they resolve to loopback, link-local or private addresses
    # (an internal peer the administrator trusts); everything else must be a public address.
    GOVFLOW_WEBHOOK_ALLOWED_HOSTS: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> dict[str, object]:
        """Overrides taken from the environment at app creation time."""
        found: dict[str, object] = {}
        if os.environ.get("GOVFLOW_DATABASE_URL"):
            found["SQLALCHEMY_DATABASE_URI"] = os.environ["GOVFLOW_DATABASE_URL"]
        if os.environ.get("GOVFLOW_SECRET_KEY"):
            found["SECRET_KEY"] = os.environ["GOVFLOW_SECRET_KEY"]
        if os.environ.get("GOVFLOW_TRUSTED_PROXIES"):
            raw = os.environ["GOVFLOW_TRUSTED_PROXIES"]
            found["GOVFLOW_TRUSTED_PROXIES"] = 0 if raw.strip() == "0" else _positive("GOVFLOW_TRUSTED_PROXIES", raw)
        for name in ("GOVFLOW_MAX_TIMER_YEARS", "GOVFLOW_MIN_TIMER_INTERVAL", "GOVFLOW_MAX_TIMER_CYCLES"):
            if os.environ.get(name):
                found[name] = _positive(name, os.environ[name])
        if os.environ.get("GOVFLOW_WEBHOOK_ALLOWED_HOSTS"):
            found["GOVFLOW_WEBHOOK_ALLOWED_HOSTS"] = tuple(
                name.strip() for name in os.environ["GOVFLOW_WEBHOOK_ALLOWED_HOSTS"].split(",") if name.strip())
        if os.environ.get("GOVFLOW_SECURE_COOKIES") == "1":  # behind HTTPS in production
            found["SESSION_COOKIE_SECURE"] = True
        return found


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = secrets.token_hex(16)


def _positive(name: str, raw: str) -> int:
    if not raw.strip().isdigit() or int(raw) <= 0:
        raise ValueError(f"{name} must be a positive whole number, not '{raw}'")
    return int(raw)
