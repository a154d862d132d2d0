"""The notification outbox, newest first: in the demo the operator reads citizens' SMS codes here."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from engine.ops import accounts
from webapp import web_context as ctx
from webapp.admin import PER_PAGE, bp, page_count, page_number

CHANNELS = ("sms", "email", "inapp")


@bp.get("/outbox")
def outbox() -> Any:
    page = page_number()
    channel = request.args.get("channel") or ""
    recipient = request.args.get("recipient", "")
    rows, total = accounts.outbox(ctx.session(), channel if channel in CHANNELS else None, recipient, PER_PAGE,
                                  (page - 1) * PER_PAGE)
    return render_template("admin/outbox.html", rows=rows, total=total, page=page, pages=page_count(total),
                           channel=channel, recipient=recipient, channels=CHANNELS)
