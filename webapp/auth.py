"""Login and logout: hashed passwords, a fresh session on login, local redirects only, guessing throttled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from engine.core.errors import Forbidden
from engine.org import directory, verification
from webapp import sso
from webapp import web_context as ctx
from webapp.security import safe_next

bp = Blueprint("auth", __name__)
FAILURES, WINDOW = 5, timedelta(minutes=15)
_DECOY = directory.hash_password("decoy")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""), **_offers())
    if not _offers()["local_passwords"]:
        flash("本系统只接受统一身份认证登录 / local passwords are switched off; use single sign-on", "error")
        return render_template("auth/login.html", next=request.form.get("next", ""), **_offers()), 403
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    keys = [f"login:{username}", f"login-ip:{request.remote_addr}"]
    s = ctx.session()
    try:
        verification.check_throttle(s, ctx.now(), keys, FAILURES, WINDOW)
    except Forbidden:
        flash("尝试次数过多，请 15 分钟后再试 / too many attempts, try again in 15 minutes", "error")
        return render_template("auth/login.html", next=request.form.get("next", ""), **_offers()), 429
    user = directory.find_user(s, username) if username else None
    if user is None:
        directory.check_password(_DECOY, password)  # an unknown name costs as long as a wrong password
    if user is None or not user.active or not directory.check_password(user.password_hash, password):
        verification.record_failure(s, ctx.now(), keys)
        ctx.commit()
        flash("用户名或密码错误 / wrong user name or password", "error")
        return render_template("auth/login.html", next=request.form.get("next", ""), **_offers()), 401
    lang = session.get("lang")
    session.clear()  # no session fixation: a new session starts here
    session["username"] = user.username
    session["generation"] = user.session_generation
    if lang:
        session["lang"] = lang
    session.permanent = True
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Any:
    """Ends this user's sessions everywhere: a copied cookie is worthless after logout."""
    user = getattr(g, "user", None)
    if user is not None:
        directory.end_sessions(user)
        ctx.commit()
    lang, id_token = session.get("lang"), session.get(sso.ID_TOKEN)
    session.clear()
    if lang:
        session["lang"] = lang
    flash("已退出 / signed out", "success")
    at_provider = sso.logout_target(id_token) if user is not None else None
    return at_provider or redirect(url_for("auth.login"))


def _offers() -> dict[str, bool]:
    """What the login page offers: 统一身份认证登录 where a provider is configured, local passwords
    unless the office switched them off."""
    found = sso.settings()
    return {"sso": found is not None, "local_passwords": found is None or found.local_passwords}


@bp.get("/")
def home() -> Any:
    return redirect(url_for("inbox.index") if session.get("username") else url_for("auth.login"))


@bp.get("/lang/<code>")
def switch_language(code: str) -> Any:
    session["lang"] = "en" if code == "en" else "zh"
    return redirect(safe_next(request.args.get("next")) if request.args.get("next") else url_for("auth.home"))
