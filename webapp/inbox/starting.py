"""起草/发起: a clerk starts a new case of a process and lands on its first step (e.g. 发文拟稿)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from engine.flow import instances, tasks
from webapp import web_context as ctx
from webapp.inbox import bp, queries

# Started elsewhere, never from a clerk's inbox: letters and applications come through the public
# portal (or the window's intake), which keeps the letter or application record the process needs;
# incoming documents come from the distribution step of an outgoing one. (docs/web.md)
STARTED_ELSEWHERE = {"mayor_mailbox": "公众服务门户 / public portal",
                     "licence_joint": "公众服务门户或综合受理窗口 / portal or service window",
                     "document_incoming": "发文分发 / distribution of an outgoing document"}
MAX_TITLE = 200


def startable() -> list[Any]:
    """The latest version of every deployed process a clerk may start."""
    return queries.latest_versions(ctx.session(), frozenset(STARTED_ELSEWHERE))


def _page(errors: dict[str, list[str]], chosen: str = "", title: str = "", status: int = 200) -> Any:
    return render_template("inbox/start.html", processes=startable(), elsewhere=STARTED_ELSEWHERE,
                           errors=errors, chosen=chosen, title=title), status


@bp.get("/start")
def start_page() -> Any:
    return _page({})


@bp.post("/start")
def start_case() -> Any:
    session, user, now = ctx.session(), ctx.actor(), ctx.now()
    process_id = request.form.get("process_id", "")
    if process_id in STARTED_ELSEWHERE:
        abort(403, f"「{process_id}」由{STARTED_ELSEWHERE[process_id]}发起，不能在工作台发起 / "
                   f"'{process_id}' is started elsewhere, not from the inbox")
    if process_id not in {row.process_id for row in startable()}:
        abort(404, f"没有名为「{process_id}」的已发布流程 / no deployed process '{process_id}'")
    title = (request.form.get("title") or "").strip()
    if not title or len(title) > MAX_TITLE:
        message = f"标题：请填写标题（不超过 {MAX_TITLE} 字）/ title: give a title of at most {MAX_TITLE} characters"
        return _page({"title": [message]}, process_id, title[:MAX_TITLE * 2], 400)
    inst = instances.start(session, user, now, process_id, {"title": title}, title=title)
    ctx.commit()
    mine = [row for row in tasks.open_for_instance(session, inst.id) if tasks.may_work(session, row, user)]
    flash(f"已发起 #{inst.id} {title} / started", "success")
    if mine:
        return redirect(url_for("inbox.task_page", task_id=mine[0].id))
    return redirect(url_for("instances.show", instance_id=inst.id))
