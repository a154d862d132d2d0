"""授权代理: an administrator names a deputy for an absent person over whole days, and ends it early."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from engine.core.clock import CHINA_TZ
from engine.core.errors import InvalidInput
from engine.org import deputies
from webapp import web_context as ctx
from webapp.admin import bp, parse_day, refuse

# The engine speaks of instants; the form of whole China days (the end day included).
FIELDS = {"starts_at": "starts_on", "ends_at": "ends_on"}


def _context() -> dict[str, Any]:
    current = request.args.get("current") == "1"
    return {"rows": deputies.listing(ctx.session(), ctx.now(), current_only=current),
            "now": ctx.now().replace(tzinfo=None), "current": current}


@bp.get("/deputies")
def deputies_page() -> Any:
    return render_template("admin/deputies.html", errors={}, values={}, **_context())


@bp.post("/deputies")
def grant_deputy() -> Any:
    form = request.form
    try:
        start, end = parse_day(form.get("starts_on"), "starts_on", "开始日期"), parse_day(form.get("ends_on"), "ends_on", "结束日期")
        deputies.grant(ctx.session(), ctx.actor(), ctx.now(), form.get("principal", "").strip(),
                       form.get("deputy", "").strip(), datetime.combine(start, time(), CHINA_TZ),
                       datetime.combine(end + timedelta(days=1), time(), CHINA_TZ), form.get("reason", ""))
    except InvalidInput as exc:
        ctx.rollback()
        return refuse(exc, "admin/deputies.html", FIELDS, **_context())
    ctx.commit()
    flash("已授权代理 / deputy named", "success")
    return redirect(url_for("admin.deputies_page"))


@bp.post("/deputies/<int:deputyship_id>/revoke")
def revoke_deputy(deputyship_id: int) -> Any:
    row = deputies.revoke(ctx.session(), ctx.actor(), ctx.now(), deputyship_id)
    ctx.commit()
    flash(f"已撤销 {row.deputy} 代 {row.principal} 的授权 / deputyship ended", "success")
    return redirect(url_for("admin.deputies_page"))
