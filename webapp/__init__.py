"""govflow's web app: the factory (webapp.app.create_app), one blueprint per role, the `govflow` CLI.

Production servers load it as `gunicorn 'webapp:create_app()'`."""

from __future__ import annotations

from webapp.app import create_app

__all__ = ["create_app"]
