"""A real OpenID provider on loopback for the sign-on tests, written here on Flask and joserfc (the JOSE
library Authlib verifies with): discovery, an authorization endpoint that signs in whoever the test
names, a token endpoint that checks the client secret, PKCE and single use of a code, RS256-signed ID
tokens, the key set, and an end-session endpoint. `mode` makes it mint the bad tokens the client must
refuse: expired, for another audience, unsigned, or signed with a key it never published."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

CLIENT_ID, CLIENT_SECRET = "govflow", "client-secret"
MODES = ("ok", "expired", "foreign_audience", "unsigned", "unknown_key")


@dataclass
class Provider:
    """What the test controls: who signs in next, with which claims, and what kind of token comes back."""

    issuer: str = ""
    subject: str = "sub-0001"
    claims: dict[str, Any] = field(default_factory=dict)
    mode: str = "ok"
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    logouts: list[dict[str, str]] = field(default_factory=list)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "office-1"}))
    stranger: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "office-1"}))

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())  # the client checks expiry against the wall clock, so the token must too
        claims = {"iss": self.issuer, "sub": self.subject, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  **({"nonce": nonce} if nonce else {}), **self.claims}
        if self.mode == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        elif self.mode == "foreign_audience":
            claims["aud"] = "another-application"
        if self.mode == "unsigned":
            header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            return f"{header}.{body}."
        key = self.stranger if self.mode == "unknown_key" else self.key
        return jwt.encode({"alg": "RS256", "kid": "office-1"}, claims, key)


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _app(provider: Provider) -> Flask:
    app = Flask("test_oidc_provider")

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
        base = provider.issuer
        return jsonify(issuer=base, authorization_endpoint=f"{base}/authorize", token_endpoint=f"{base}/token",
                       jwks_uri=f"{base}/jwks", end_session_endpoint=f"{base}/logout",
                       response_types_supported=["code"], subject_types_supported=["public"],
                       id_token_signing_alg_values_supported=["RS256"], code_challenge_methods_supported=["S256"],
                       token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"])

    @app.get("/jwks")
    def jwks() -> Any:
        return jsonify(KeySet([provider.key]).as_dict(private=False))

    @app.get("/authorize")
    def authorize() -> Any:
        args = request.args
        if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
            abort(400)
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            return jsonify(error="invalid_request", error_description="PKCE is required"), 400
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {"nonce": args.get("nonce"), "challenge": args["code_challenge"],
                                "redirect_uri": args.get("redirect_uri")}
        return redirect(f"{args['redirect_uri']}?{urlencode({'code': code, 'state': args.get('state', '')})}")

    @app.post("/token")
    def token() -> Any:
        form = request.form
        auth = request.authorization
        client = (auth.username, auth.password) if auth else (form.get("client_id"), form.get("client_secret"))
        if client != (CLIENT_ID, CLIENT_SECRET):
            return jsonify(error="invalid_client"), 401
        code = form.get("code", "")
        if code in provider.used or code not in provider.codes:
            return jsonify(error="invalid_grant", error_description="code unknown or already used"), 400
        provider.used.add(code)
        grant = provider.codes.pop(code)
        if _challenge(form.get("code_verifier", "")) != grant["challenge"]:
            return jsonify(error="invalid_grant", error_description="PKCE verifier does not match"), 400
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return jsonify(error="invalid_grant", error_description="redirect_uri differs"), 400
        return jsonify(access_token=secrets.token_urlsafe(16), token_type="Bearer", expires_in=300,
                       id_token=provider.id_token(grant["nonce"]))

    @app.get("/logout")
    def logout() -> Any:
        provider.logouts.append(dict(request.args))
        return redirect(request.args.get("post_logout_redirect_uri") or "/")

    return app


def running() -> Iterator[Provider]:
    """The provider on 127.0.0.1 in a thread, for as long as the fixture lasts."""
    provider = Provider()
    server = make_server("127.0.0.1", 0, _app(provider), threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(timeout=10)
