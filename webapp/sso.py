"""统一身份认证登录 with Authlib: discovery from the issuer, authorization code with PKCE (S256), state
and nonce checked, the ID token's signature (the provider's keys), issuer, audience and expiry verified;
then engine.org.sign_on finds or creates the account. Logout ends govflow's sessions and, for a
provider session, continues at the provider's end-session endpoint (RP-initiated logout)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from joserfc.errors import JoseError
from requests import RequestException

from engine.core.errors import EngineError
from engine.org import sign_on
from webapp import web_context as ctx
from webapp.security import CSP, safe_next

bp = Blueprint("sso", __name__)
PROVIDER = "office_idp"
ID_TOKEN = "sso_id_token"


def settings() -> sign_on.SignOnSettings | None:
    return current_app.config.get("GOVFLOW_OIDC")


def init_app(app: Flask) -> None:
    """Register the provider where one is configured (GOVFLOW_OIDC_* or the config's GOVFLOW_OIDC)."""
    found = app.config.get("GOVFLOW_OIDC") or sign_on.settings_from_env(os.environ)
    app.config["GOVFLOW_OIDC"] = found
    app.register_blueprint(bp)
    if found is None:
        return
    oauth = OAuth(app)  # one registry per app: each app has its own provider and cached discovery
    oauth.register(PROVIDER, client_id=found.client_id, client_secret=found.client_secret,
                   server_metadata_url=f"{found.issuer}/.well-known/openid-configuration",
                   client_kwargs={"scope": found.scope, "code_challenge_method": "S256", "timeout": 15})
    app.extensions["govflow_oauth"] = oauth
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(found.issuer))

    @app.after_request
    def allow_provider_redirects(response: Response) -> Response:
        """Logout is a form whose answer continues at the provider: form-action must allow its origin."""
        response.headers.setdefault("Content-Security-Policy",
                                    CSP.replace("form-action 'self'", f"form-action 'self' {origin}"))
        return response


def _client() -> Any:
    return current_app.extensions["govflow_oauth"].create_client(PROVIDER)


def refuse(message: str, status: int = 400) -> Any:
    return render_template("auth/sso_refused.html", message=message), status


@bp.get("/login/sso")
def start() -> Any:
    if settings() is None:
        return refuse("未配置统一身份认证 / single sign-on is not configured", 404)
    session["sso_next"] = request.args.get("next", "")
    try:
        return _client().authorize_redirect(url_for("sso.callback", _external=True))
    except (RequestException, AuthlibBaseError, ValueError):
        return refuse("无法连接统一身份认证服务，请稍后再试或使用本地密码登录 / the identity provider cannot be "
                      "reached; try again later", 502)


@bp.get("/login/sso/callback")
def callback() -> Any:
    found = settings()
    if found is None:
        return refuse("未配置统一身份认证 / single sign-on is not configured", 404)
    try:
        token = _client().authorize_access_token()
    except AuthlibBaseError as exc:
        return refuse(_why(exc))
    except JoseError as exc:
        return refuse(f"身份令牌校验失败（{exc.error}），登录被拒绝 / the ID token was refused: {exc.error}")
    except RequestException:
        return refuse("无法连接统一身份认证服务 / the identity provider cannot be reached", 502)
    claims = token.get("userinfo")
    if not claims:
        return refuse("统一身份认证没有返回身份令牌 / the identity provider sent no ID token")
    try:
        user = sign_on.sign_in(ctx.session(), ctx.now(), found, dict(claims))
    except EngineError as exc:  # no account, a disabled one, a user name another account holds
        ctx.rollback()
        return refuse(str(exc), 403)
    ctx.commit()
    target = session.get("sso_next", "")
    lang = session.get("lang")
    session.clear()  # a new session starts here, as after a password login
    session.update(username=user.username, generation=user.session_generation, **{ID_TOKEN: token["id_token"]})
    if lang:
        session["lang"] = lang
    session.permanent = True
    return redirect(safe_next(target))


def _why(exc: AuthlibBaseError) -> str:
    """The refusal in words: a state that does not match, a code the provider will not take, an ID token
    with the wrong audience or issuer, too old, or without the nonce of this login."""
    error = getattr(exc, "error", "") or ""
    if error == "mismatching_state":
        return "登录状态不符（可能是过期或伪造的回调），请重新登录 / the login state does not match; sign in again"
    if error in ("invalid_grant", "invalid_request", "invalid_client", "access_denied"):
        return (f"统一身份认证拒绝了本次登录（{error}），授权码可能已被使用，请重新登录 / the identity provider "
                f"refused the login ({error}): the code may have been used already; sign in again")
    return f"身份令牌校验失败（{error or exc}），登录被拒绝 / the ID token was refused: {error or exc}"


def logout_target(id_token: str | None) -> Any | None:
    """Where logout continues: the provider's end-session endpoint, for a session started there."""
    if settings() is None or not id_token:
        return None
    try:
        client = _client()
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        return client.logout_redirect(post_logout_redirect_uri=url_for("auth.login", _external=True),
                                      id_token_hint=id_token)
    except (RequestException, AuthlibBaseError):
        return None
