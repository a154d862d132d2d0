"""Configuration classes; environment variables override them (GOVFLOW_*)."""

from __future__ import annotations

import os
import secrets


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

    @classmethod
    def from_env(cls) -> dict[str, object]:
        """Overrides taken from the environment at app creation time."""
        found: dict[str, object] = {}
        if os.environ.get("GOVFLOW_DATABASE_URL"):
            found["SQLALCHEMY_DATABASE_URI"] = os.environ["GOVFLOW_DATABASE_URL"]
        if os.environ.get("GOVFLOW_SECRET_KEY"):
            found["SECRET_KEY"] = os.environ["GOVFLOW_SECRET_KEY"]
        if os.environ.get("GOVFLOW_SECURE_COOKIES") == "1":  # behind HTTPS in production
            found["SESSION_COOKIE_SECURE"] = True
        return found


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = secrets.token_hex(16)
