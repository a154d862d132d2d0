"""The logged-in user per request, and the one role check each blueprint installs on itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, abort, g, redirect, request, session, url_for
from sqlalchemy.orm import Session

from engine.org import directory
from webapp.extensions import db

Predicate = Callable[[Session, str], bool]


def _load_user() -> None:
    name = session.get("username")
    g.user = directory.find_user(db.session(), name) if name else None
    if g.user is not None and not g.user.active:  # a disabled account is signed out at once
        g.user = None
    if name and g.user is None:  # the account was removed or disabled: forget the stale session
        session.clear()


def protect(bp: Blueprint, predicate: Predicate) -> None:
    """Written once per blueprint: a login for every page, then the role the blueprint needs."""
    @bp.before_request
    def check_role() -> Any:
        if getattr(g, "user", None) is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not predicate(db.session(), g.user.username):
            abort(403)
        return None


def groups() -> frozenset[str]:
    """The signed-in user's groups (the roles); their department's code is not one of them."""
    user = getattr(g, "user", None)
    return directory.member_groups(db.session(), user.username) if user is not None else frozenset()


def init_app(app: Flask) -> None:
    app.before_request(_load_user)

    @app.context_processor
    def roles() -> dict[str, Any]:
        mine = groups()
        return {"user_groups": mine, "is_admin": "admin" in mine,
                "may_design": bool(mine & {"designer", "admin"}),
                "may_supervise": bool(mine & {"supervisor", "city_leader", "admin"})}
