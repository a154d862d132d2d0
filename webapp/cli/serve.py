"""`govflow serve`: the web app with an embedded scheduler, for one machine and the demo."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from webapp.config import MISSING_KEY
from webapp.runner import start_background


@click.command("serve", help="Serve the web app with an embedded scheduler (production: gunicorn, see docs/web.md).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Do not run the scheduler in this process.")
@with_appcontext
def serve_cmd(host: str, port: int, no_scheduler: bool) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("GOVFLOW_SECRET_KEY_MISSING"):
        raise click.ClickException(MISSING_KEY)
    scheduler = None if no_scheduler else start_background(app)
    click.echo(f"govflow is serving on http://{host}:{port}/  (scheduler: {'off' if scheduler is None else 'on'})")
    try:
        run_simple(host, port, app, use_reloader=False, threaded=True)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
