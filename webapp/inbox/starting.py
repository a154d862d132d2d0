"""起草/发起: a clerk starts a new case of a process and lands on its first step (e.g. 发文拟稿)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from engine.core.errors import InvalidInput
from engine.flow import definitions, forms, instances, tasks
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
    if definitions.start_form(session, process_id) is not None:  # the file's start form asks first
        return redirect(url_for("inbox.start_form_page", process_id=process_id, title=title))
    inst = instances.start(session, user, now, process_id, {"title": title}, title=title)
    return _started(inst, title)


def _started(inst: Any, title: str) -> Any:
    session, user = ctx.session(), ctx.actor()
    ctx.commit()
    mine = [row for row in tasks.open_for_instance(session, inst.id) if tasks.may_work(session, row, user)]
    flash(f"已发起 #{inst.id} {title} / started", "success")
    if mine:
        return redirect(url_for("inbox.task_page", task_id=mine[0].id))
    return redirect(url_for("instances.show", instance_id=inst.id))


def _startable(process_id: str) -> Any:
    if process_id in STARTED_ELSEWHERE or process_id not in {row.process_id for row in startable()}:
        abort(404, f"没有可在工作台发起的流程「{process_id}」/ no process '{process_id}' to start here")
    definition = definitions.start_form(ctx.session(), process_id)
    if definition is None:
        abort(404, f"流程「{process_id}」没有发起表单 / process '{process_id}' has no start form")
    return definition


@bp.get("/start/<process_id>")
def start_form_page(process_id: str) -> Any:
    """A process whose file defines a start form (Camunda formData, Activiti formProperty ...)."""
    definition = _startable(process_id)
    return render_template("inbox/start_form.html", process_id=process_id, definition=definition,
                           title=request.args.get("title", "")[:MAX_TITLE], values={}, errors={})


@bp.post("/start/<process_id>")
def start_with_form(process_id: str) -> Any:
    definition = _startable(process_id)
    raw = {k: (v if len(v := request.form.getlist(k)) > 1 else v[0]) for k in request.form
           if k not in ("csrf_token", "title")}
    title = (request.form.get("title") or "").strip()[:MAX_TITLE]
    try:
        if not title:
            raise InvalidInput("标题：请填写标题 / title: give a title", field="title",
                               errors={"title": ["请填写标题 / give a title"]})
        data = forms.validate_submission(definition, raw, ctx.lang())
        inst = instances.start(ctx.session(), ctx.actor(), ctx.now(), process_id, {"title": title, **data},
                               title=title)
    except InvalidInput as exc:
        ctx.rollback()
        errors = getattr(exc, "errors", None) or {exc.field or "_": [str(exc)]}
        return render_template("inbox/start_form.html", process_id=process_id, definition=definition,
                               title=title, values=raw, errors=errors), 400
    return _started(inst, title)
