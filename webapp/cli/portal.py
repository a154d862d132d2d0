"""`govflow portal retry`: start the processes of portal submissions whose start failed."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from engine.gov import portal
from webapp import web_context as ctx
from webapp.portal import intake


@click.group("portal", help="The public portal's submissions.", cls=AppGroup)
def portal_cli() -> None:
    pass


@portal_cli.command("retry")
@click.option("--limit", default=100, show_default=True, help="At most this many submissions per run.")
def retry_cmd(limit: int) -> None:
    """Start the processes of portal submissions still pending (run it by hand or from cron)."""
    items = portal.pending(ctx.session(), limit)
    ctx.rollback()  # end the read: each start runs in its own transaction
    failed = [item for item in items if not intake.start_kept(*item) and intake.still_pending(*item)]
    click.echo(f"{len(items) - len(failed)} of {len(items)} pending portal submissions started")
    for kind, ident in failed:
        click.echo(f"still pending: {kind} {ident}", err=True)
    if failed:
        sys.exit(1)
