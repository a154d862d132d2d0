"""延期审批: the extension requests waiting for this approver (the responsible person's supervisor or a
leader of the clock's department), each decided on the page; approval moves the due date."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for

from engine.clocks import lifecycle
from engine.gov import extensions
from webapp import web_context as ctx
from webapp.inbox import bp
from webapp.inbox.actions import operation


@bp.get("/extensions")
def extension_requests() -> Any:
    session, user = ctx.session(), ctx.actor()
    rows = [(r, lifecycle.get_clock(session, r.clock_id)) for r in extensions.pending_for(session, user)]
    return render_template("inbox/extensions.html", rows=rows)


@bp.post("/extensions/<int:request_id>/decide")
@operation("已审批延期申请 / extension request decided")
def decide_extension(request_id: int) -> str | None:
    approve = request.form.get("decision") == "approve"
    extensions.decide(ctx.session(), ctx.actor(), ctx.now(), request_id, approve, request.form.get("note") or "")
    return url_for("inbox.extension_requests")
