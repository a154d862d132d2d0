"""通知: the in-app notices every signed-in person receives (warnings, urging, 督办, extension decisions),
newest first, unread ones marked, each opening its case; the header shows how many are unread."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from engine.org import notify
from webapp import web_context as ctx

bp = Blueprint("notices", __name__, url_prefix="/notices")
PAGE = 100


@bp.get("/")
def index() -> Any:
    session, user = ctx.session(), ctx.actor()
    unread_only = request.args.get("unread") == "1"
    rows = notify.list_inapp(session, user, unread_only=unread_only, limit=PAGE)
    return render_template("notices/index.html", rows=rows, unread_only=unread_only,
                           unread=notify.unread_count(session, user))


@bp.post("/read")
def mark_read() -> Any:
    """One notice (id) or all of them read; a notice that opens a case goes on to that case."""
    raw = request.form.get("id")
    ids = [int(raw)] if raw and raw.isdigit() else None
    count = notify.mark_read(ctx.session(), ctx.actor(), ctx.now(), ids)
    ctx.commit()
    target = request.form.get("instance_id")
    if ids is not None and target and target.isdigit():
        return redirect(url_for("instances.show", instance_id=int(target)))
    if ids is None:
        flash(f"已将 {count} 条通知标为已读 / {count} notices marked read", "success")
    return redirect(url_for("notices.index"))
