"""Webhooks (结果反馈): an administrator subscribes other systems to events, sees the secret once, pauses
or removes a subscription, and reads the delivery log with a replay button per delivery."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for

from engine.core import events
from engine.core.errors import InvalidInput
from engine.ops import webhook_delivery, webhooks
from engine.ops.webhook_models import STATUSES
from webapp import web_context as ctx
from webapp.admin import PER_PAGE, bp, page_count, page_number, refuse


def allowed_hosts() -> tuple[str, ...]:
    return tuple(current_app.config.get("GOVFLOW_WEBHOOK_ALLOWED_HOSTS") or ())


def _context(**extra: Any) -> dict[str, Any]:
    return {"subscriptions": webhooks.subscriptions(ctx.session()), "kinds": events.KINDS,
            "allowed": allowed_hosts(), "created": None, **extra}


@bp.get("/webhooks")
def webhooks_page() -> Any:
    return render_template("admin/webhooks.html", errors={}, values={}, **_context())


@bp.post("/webhooks")
def create_webhook() -> Any:
    form = request.form
    try:
        sub = webhooks.create(ctx.session(), ctx.actor(), ctx.now(), form.get("url", ""), form.getlist("kinds"),
                              allowed_hosts(), form.get("description", ""))
    except InvalidInput as exc:
        ctx.rollback()
        return refuse(exc, "admin/webhooks.html", **_context())
    secret, url = sub.secret, sub.url
    ctx.commit()
    # The secret is on this answer only: the list never shows it again.
    return render_template("admin/webhooks.html", errors={}, values={},
                           **_context(created={"url": url, "secret": secret}))


def _toggle(subscription_id: int, enabled: bool) -> Any:
    try:
        sub = webhooks.set_enabled(ctx.session(), ctx.actor(), ctx.now(), subscription_id, enabled, allowed_hosts())
    except InvalidInput as exc:
        ctx.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.webhooks_page"))
    url = sub.url
    ctx.commit()
    flash(f"已{'启用' if enabled else '停用'}订阅 {url} / subscription {'enabled' if enabled else 'disabled'}", "success")
    return redirect(url_for("admin.webhooks_page"))


@bp.post("/webhooks/<int:subscription_id>/enable")
def enable_webhook(subscription_id: int) -> Any:
    return _toggle(subscription_id, True)


@bp.post("/webhooks/<int:subscription_id>/disable")
def disable_webhook(subscription_id: int) -> Any:
    return _toggle(subscription_id, False)


@bp.post("/webhooks/<int:subscription_id>/delete")
def delete_webhook(subscription_id: int) -> Any:
    url = webhooks.get(ctx.session(), subscription_id).url
    webhooks.delete(ctx.session(), ctx.actor(), ctx.now(), subscription_id)
    ctx.commit()
    flash(f"已删除订阅 {url} 及其投递记录 / subscription deleted", "success")
    return redirect(url_for("admin.webhooks_page"))


def _log_filters() -> tuple[int | None, str]:
    status = request.args.get("status") or ""
    try:
        subscription = int(request.args.get("subscription") or 0) or None
    except ValueError:
        subscription = None
    return subscription, status if status in STATUSES else ""


@bp.get("/webhooks/deliveries")
def webhook_deliveries() -> Any:
    page = page_number()
    subscription, status = _log_filters()
    rows, total = webhook_delivery.log_page(ctx.session(), subscription, status or None, PER_PAGE,
                                            (page - 1) * PER_PAGE)
    return render_template("admin/webhook_deliveries.html", rows=rows, total=total, page=page,
                           pages=page_count(total), status=status, subscription=subscription or "",
                           statuses=STATUSES, subscriptions=[sub for sub, _ in webhooks.subscriptions(ctx.session())])


@bp.post("/webhooks/deliveries/<int:delivery_id>/replay")
def replay_webhook(delivery_id: int) -> Any:
    webhook_delivery.replay(ctx.session(), ctx.actor(), ctx.now(), delivery_id)
    ctx.commit()
    flash("已重新排入投递队列，将由调度器尽快发送 / queued again; the scheduler sends it on its next tick", "success")
    subscription, status = _log_filters()
    return redirect(url_for("admin.webhook_deliveries", subscription=subscription or None, status=status or None))
