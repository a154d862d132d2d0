"""起草/发起: a clerk starts a new case of a process and lands on its first step (e.g. 发文拟稿)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from engine import instances, tasks
from engine.errors import InvalidInput
from engine.models import ProcessVersion
from webapp import web_context as ctx
from webapp.inbox import bp

# Started elsewhere, never from a clerk's inbox: letters and applications come through the public
# portal (or the window's intake), incoming documents from the distribution step of an outgoing one.
STARTED_ELSEWHERE = {"mayor_mailbox": "公众服务门户 / public portal",
                     "licence_joint": "公众服务门户或综合受理窗口 / portal or service window",
                     "document_incoming": "发文分发 / distribution of an outgoing document"}
MAX_TITLE = 200


def startable() -> list[ProcessVersion]:
    """The latest version of every deployed process a clerk may start."""
    latest = (select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("v"))
              .group_by(ProcessVersion.process_id).subquery())
    rows = ctx.session().scalars(select(ProcessVersion).join(
        latest, (latest.c.process_id == ProcessVersion.process_id) & (latest.c.v == ProcessVersion.version))
        .order_by(ProcessVersion.process_id))
    return [pv for pv in rows if pv.process_id not in STARTED_ELSEWHERE]


@bp.get("/start")
def start_page() -> Any:
    return render_template("inbox/start.html", processes=startable(), elsewhere=STARTED_ELSEWHERE, errors={})


@bp.post("/start")
def start_case() -> Any:
    session, user, now = ctx.session(), ctx.actor(), ctx.now()
    process_id = request.form.get("process_id", "")
    if process_id in STARTED_ELSEWHERE:
        abort(403, f"「{process_id}」由{STARTED_ELSEWHERE[process_id]}发起，不能在此发起 / started elsewhere")
    if process_id not in {pv.process_id for pv in startable()}:
        abort(404, f"没有名为「{process_id}」的流程 / no such process")
    title = (request.form.get("title") or "").strip()
    if not title or len(title) > MAX_TITLE:
        exc = InvalidInput(f"请填写标题（不超过 {MAX_TITLE} 字）/ give a title of at most {MAX_TITLE} characters",
                           field="title")
        return render_template("inbox/start.html", processes=startable(), elsewhere=STARTED_ELSEWHERE,
                               errors={"title": [str(exc)]}, chosen=process_id), 400
    inst = instances.start(session, user, now, process_id, {"title": title}, title=title)
    ctx.commit()
    mine = [row for row in tasks.open_for_instance(session, inst.id) if tasks.may_work(session, row, user)]
    flash(f"已发起 #{inst.id} {title} / started", "success")
    if mine:
        return redirect(url_for("inbox.task_page", task_id=mine[0].id))
    return redirect(url_for("instances.show", instance_id=inst.id))
