"""Login and logout: hashed passwords, a fresh session on login, local redirects only, guessing throttled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from engine.core.errors import Forbidden
from engine.org import directory, verification
from webapp import web_context as ctx

bp = Blueprint("auth", __name__)
FAILURES, WINDOW = 5, timedelta(minutes=15)
_DECOY = directory.hash_password("decoy")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative '//' or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("inbox.index")
    parts = urlsplit(target)
    return url_for("inbox.index") if parts.scheme or parts.netloc else target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    keys = [f"login:{username}", f"login-ip:{request.remote_addr}"]
    s = ctx.session()
    try:
        verification.check_throttle(s, ctx.now(), keys, FAILURES, WINDOW)
    except Forbidden:
        flash("尝试次数过多，请 15 分钟后再试 / too many attempts, try again in 15 minutes", "error")
        return render_template("auth/login.html", next=request.form.get("next", "")), 429
    user = directory.find_user(s, username) if username else None
    if user is None:
        directory.check_password(_DECOY, password)  # an unknown name costs as long as a wrong password
    if user is None or not user.active or not directory.check_password(user.password_hash, password):
        verification.record_failure(s, ctx.now(), keys)
        ctx.commit()
        flash("用户名或密码错误 / wrong user name or password", "error")
        return render_template("auth/login.html", next=request.form.get("next", "")), 401
    lang = session.get("lang")
    session.clear()  # no session fixation: a new session starts here
    session["username"] = user.username
    session["generation"] = user.session_generation
    if lang:
        session["lang"] = lang
    session.permanent = True
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Any:
    """Ends this user's sessions everywhere: a copied cookie is worthless after logout."""
    user = getattr(g, "user", None)
    if user is not None:
        directory.end_sessions(user)
        ctx.commit()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash("已退出 / signed out", "success")
    return redirect(url_for("auth.login"))


@bp.get("/")
def home() -> Any:
    return redirect(url_for("inbox.index") if session.get("username") else url_for("auth.login"))


@bp.get("/lang/<code>")
def switch_language(code: str) -> Any:
    session["lang"] = "en" if code == "en" else "zh"
    return redirect(_safe_next(request.args.get("next")) if request.args.get("next") else url_for("auth.home"))
