"""`govflow notifications send`: one pass over the outbox's e-mails."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from engine.core.clock import SystemClock
from engine.org import notify
from webapp.cli.common import edge, emit, session


@click.group("notifications", help="The notification outbox (in-app and e-mail).", cls=AppGroup)
def notifications_cli() -> None:
    pass


@notifications_cli.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@edge
def notifications_send_cmd(limit: int, as_json: bool) -> None:
    """One outbox pass: send due e-mails over SMTP (GOVFLOW_SMTP_HOST / _PORT / _FROM)."""
    report = notify.send_pending(session(), SystemClock().now(), notify.SmtpSettings.from_env(), limit)
    for error in report.errors:
        click.echo(error, err=True)
    emit(as_json, {"sent": report.sent, "retrying": report.retrying, "failed": report.failed},
          f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
