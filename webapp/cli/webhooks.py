"""`govflow webhooks add|list|enable|disable|remove|deliveries|replay|deliver`: the 结果推送 pages'
operations from the command line (GOVFLOW_WEBHOOK_ALLOWED_HOSTS is read as the pages read it)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from engine.core import events
from engine.core.clock import SystemClock
from engine.core.db import make_sessionmaker
from engine.ops import webhook_delivery, webhooks
from engine.ops.webhook_models import STATUSES
from webapp.cli.common import edge, emit, session
from webapp.extensions import db


def _allowed() -> tuple[str, ...]:
    return tuple(current_app.config.get("GOVFLOW_WEBHOOK_ALLOWED_HOSTS") or ())


@click.group("webhooks", help="Webhook subscriptions and their deliveries (结果推送).", cls=AppGroup)
def webhooks_cli() -> None:
    pass


@webhooks_cli.command("add")
@click.argument("url")
@click.option("--event", "kinds", multiple=True, required=True,
              help=f"Event kind; repeat for several, or 'all'. One of: {', '.join(events.KINDS)}.")
@click.option("--description", default="")
@click.option("--json", "as_json", is_flag=True)
@edge
def add_cmd(url: str, kinds: tuple[str, ...], description: str, as_json: bool) -> None:
    """Subscribe URL; prints the signing secret, which is not shown again."""
    chosen = events.KINDS if "all" in kinds else kinds
    sub = webhooks.create(session(), "cli", SystemClock().now(), url, chosen, _allowed(), description)
    emit(as_json, {"id": sub.id, "url": sub.url, "kinds": sub.kinds, "secret": sub.secret},
         f"subscription {sub.id} for {sub.url}\nsecret (shown once): {sub.secret}")


@webhooks_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
@edge
def list_cmd(as_json: bool) -> None:
    rows = webhooks.subscriptions(session())
    emit(as_json, [{"id": sub.id, "url": sub.url, "description": sub.description, "kinds": sub.kinds,
                    "enabled": sub.enabled, "disabled_reason": sub.disabled_reason, "deliveries": counts}
                   for sub, counts in rows],
         "\n".join(f"{sub.id}\t{'enabled' if sub.enabled else 'disabled'}\t{sub.url}\t{','.join(sub.kinds)}\t"
                   + " ".join(f"{k}={v}" for k, v in sorted(counts.items())) for sub, counts in rows)
         or "no subscriptions")


def _toggle(subscription_id: int, enabled: bool) -> None:
    sub = webhooks.set_enabled(session(), "cli", SystemClock().now(), subscription_id, enabled, _allowed())
    click.echo(f"subscription {sub.id} {'enabled' if enabled else 'disabled'}")


@webhooks_cli.command("enable")
@click.argument("subscription_id", type=int)
@edge
def enable_cmd(subscription_id: int) -> None:
    _toggle(subscription_id, True)


@webhooks_cli.command("disable")
@click.argument("subscription_id", type=int)
@edge
def disable_cmd(subscription_id: int) -> None:
    _toggle(subscription_id, False)


@webhooks_cli.command("remove")
@click.argument("subscription_id", type=int)
@edge
def remove_cmd(subscription_id: int) -> None:
    """Delete a subscription and its deliveries."""
    webhooks.delete(session(), "cli", SystemClock().now(), subscription_id)
    click.echo(f"subscription {subscription_id} removed")


@webhooks_cli.command("deliveries")
@click.option("--subscription", "subscription_id", type=int, default=None)
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@edge
def deliveries_cmd(subscription_id: int | None, status: str | None, limit: int, as_json: bool) -> None:
    """The delivery log, newest first."""
    rows, total = webhook_delivery.log_page(session(), subscription_id, status, limit)
    items = [{"id": d.id, "event": d.event.uid, "kind": kind, "occurred_at": occurred_at, "url": url,
              "status": d.status, "attempts": d.attempts, "last_status": d.last_status, "last_error": d.last_error,
              "next_attempt_at": d.next_attempt_at, "delivered_at": d.delivered_at}
             for d, kind, occurred_at, url in rows]
    emit(as_json, {"total": total, "deliveries": items},
         "\n".join(f"{i['id']}\t{i['status']}\t{i['kind']}\t{i['attempts']}\t{i['url']}\t{i['last_error'] or ''}"
                   for i in items) or "no deliveries")


@webhooks_cli.command("replay")
@click.argument("delivery_id", type=int)
@edge
def replay_cmd(delivery_id: int) -> None:
    """Send a delivery again (same webhook-id) from the next scheduler tick."""
    webhook_delivery.replay(session(), "cli", SystemClock().now(), delivery_id)
    click.echo(f"delivery {delivery_id} queued again")


@webhooks_cli.command("deliver")
@click.option("--json", "as_json", is_flag=True)
@edge
def deliver_cmd(as_json: bool) -> None:
    """Send every delivery due now (what each scheduler tick does)."""
    report = webhook_delivery.deliver_due(make_sessionmaker(db.engine), SystemClock().now(), _allowed())
    emit(as_json, {"delivered": report.delivered, "retrying": report.retrying, "failed": report.failed,
                   "gone": report.gone},
         f"delivered {report.delivered}, retrying {report.retrying}, failed {report.failed}, gone {report.gone}")
