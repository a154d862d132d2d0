"""Flask app factory: configuration, database, migrations and CLI; never migrates or starts work."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.core import limits
from engine.core.db import configure_sqlite, engine_options, normalize_url
from webapp import auth, cli, errors, i18n, pages, security, sso
from webapp.config import MISSING_KEY, Config
from webapp.extensions import db, migrate

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: type[Config] | dict[str, Any] | None = None, *, serving: bool = True) -> Flask:
    """Build the app from a config class or mapping, then environment overrides. `serving=False` (the
    command line) tolerates a missing GOVFLOW_SECRET_KEY until a command serves pages (`govflow serve`)."""
    app = Flask("webapp", instance_relative_config=True)  # the package: templates, static, instance/
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config.update(Config.from_env())
    _defaults(app, serving)
    limits.configure_timers(max_years=int(app.config["GOVFLOW_MAX_TIMER_YEARS"]),
                            min_interval_seconds=int(app.config["GOVFLOW_MIN_TIMER_INTERVAL"]),
                            max_cycles=int(app.config["GOVFLOW_MAX_TIMER_CYCLES"]))
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    with app.app_context():
        configure_sqlite(db.engine)
    _trust_proxies(app)
    CSRFProtect(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    sso.init_app(app)  # after security: its CSP lets logout continue at the provider
    pages.init_app(app, security.protect)
    cli.init_app(app)
    return app


def _defaults(app: Flask, serving: bool) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "govflow.db")
    url = normalize_url(str(app.config["SQLALCHEMY_DATABASE_URI"]))
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options = dict(engine_options(url))
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _generated_key(app, serving)


def _generated_key(app: Flask, serving: bool) -> str:
    """Tests get a random key; the demo one kept in the instance folder (shared by all its processes);
    anything else must be given GOVFLOW_SECRET_KEY, or each process would sign sessions its own way."""
    if app.config.get("TESTING"):
        return secrets.token_hex(32)
    if os.environ.get("GOVFLOW_DEMO") != "1":
        if serving:
            raise RuntimeError(MISSING_KEY)
        app.config["GOVFLOW_SECRET_KEY_MISSING"] = True  # commands that serve pages refuse to start
        return secrets.token_hex(32)
    os.makedirs(app.instance_path, exist_ok=True)
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies (GOVFLOW_TRUSTED_PROXIES=N) the client address, scheme and host come from
    their X-Forwarded-* headers; without it those headers are ignored, so nobody can forge an address."""
    hops = int(app.config.get("GOVFLOW_TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
