"""What every view needs, in one place: the database session, the acting user, the injected clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, g
from sqlalchemy.orm import Session

from engine.core.clock import SystemClock
from webapp.extensions import db


def session() -> Session:
    return db.session()


def actor() -> str:
    """The logged-in user's name (the blueprint's role check has made sure there is one)."""
    user = getattr(g, "user", None)
    name = getattr(user, "username", None)
    if not name:
        raise RuntimeError("no logged-in user on a protected page")
    return str(name)


def now() -> datetime:
    clock: Any = current_app.config.get("GOVFLOW_CLOCK") or SystemClock()
    return clock.now()


def commit() -> None:
    db.session.commit()


def rollback() -> None:
    db.session.rollback()


def lang() -> str:
    """'zh' or 'en': the language the user chose (Simplified Chinese unless English was picked)."""
    try:
        from flask_babel import get_locale

        locale = get_locale()
    except Exception:  # no Babel on this app (e.g. a minimal test app)
        return "zh"
    return "en" if locale is not None and str(locale).startswith("en") else "zh"
