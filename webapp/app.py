"""Flask app factory: configuration, database, migrations and CLI; never migrates or starts work."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf import CSRFProtect

from engine.core import limits
from engine.core.db import configure_sqlite, engine_options, normalize_url
from webapp import auth, cli, errors, i18n, pages, security
from webapp.config import Config
from webapp.extensions import db, migrate

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    """Build the app from a config class or mapping, then environment overrides."""
    app = Flask("webapp", instance_relative_config=True)  # the package: templates, static, instance/
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config.update(Config.from_env())
    _defaults(app)
    limits.configure_timers(max_years=int(app.config["GOVFLOW_MAX_TIMER_YEARS"]),
                            min_interval_seconds=int(app.config["GOVFLOW_MIN_TIMER_INTERVAL"]),
                            max_cycles=int(app.config["GOVFLOW_MAX_TIMER_CYCLES"]))
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    with app.app_context():
        configure_sqlite(db.engine)
    CSRFProtect(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    pages.init_app(app, security.protect)
    cli.init_app(app)
    return app


def _defaults(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "govflow.db")
    url = normalize_url(str(app.config["SQLALCHEMY_DATABASE_URI"]))
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options = dict(engine_options(url))
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secrets.token_hex(32)
