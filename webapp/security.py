"""The logged-in user per request, the one role check each blueprint installs on itself, and the
security headers of every response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, g, redirect, request, session, url_for
from sqlalchemy.orm import Session

from engine.org import directory
from webapp import input_guard, labels
from webapp.extensions import db

Predicate = Callable[[Session, str], bool]


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative '//' or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("inbox.index")
    parts = urlsplit(target)
    return url_for("inbox.index") if parts.scheme or parts.netloc else target


def _load_user() -> None:
    name = session.get("username")
    found = directory.find_user_and_unit(db.session(), name) if name else None
    g.user = found[0] if found else None
    if found is not None:
        labels.remember_person(found[0].username, found[0].display_name, found[1])
    if g.user is not None and not g.user.active:  # a disabled account is signed out at once
        g.user = None
    if g.user is not None and session.get("generation", 0) != g.user.session_generation:
        g.user = None  # signed out since this cookie was issued: logout, new password, "sign out everywhere"
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


# Pages work without JavaScript and carry no inline script or style: everything comes from /static.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def _headers(response: Response) -> Response:
    """CSP without inline script, no framing, no referrer outside the site, HSTS once behind TLS."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:  # https directly, or X-Forwarded-Proto from a trusted proxy (ProxyFix)
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    input_guard.init_app(app)
    app.before_request(_load_user)
    app.after_request(_headers)

    @app.context_processor
    def roles() -> dict[str, Any]:
        mine = groups()
        return {"user_groups": mine, "is_admin": "admin" in mine,
                "may_design": bool(mine & {"designer", "admin"}),
                "may_supervise": bool(mine & {"supervisor", "city_leader", "admin"})}
