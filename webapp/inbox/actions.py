"""Task operations from the task page: each a POST that calls one engine function and commits."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, abort, flash, redirect, request, send_file, url_for
from sqlalchemy import select

from engine.clocks import lifecycle
from engine.clocks.models import Clock
from engine.core.errors import Conflict, InvalidInput
from engine.flow import attachments, instances, task_actions, tasks
from engine.gov import extensions
from webapp import web_context as ctx
from webapp.inbox import bp
from webapp.inbox.views import _visible_task

Action = Callable[..., str | None]


def operation(done_message: str) -> Callable[[Action], Callable[..., Any]]:
    """Commit and say so, or roll back and show the engine's reason; then back to the task's or case's page."""
    def wrap(func: Action) -> Callable[..., Any]:
        @functools.wraps(func)
        def view(**kwargs: Any) -> Any:
            target = (url_for("inbox.task_page", task_id=kwargs["task_id"]) if "task_id" in kwargs
                      else url_for("instances.show", instance_id=kwargs["instance_id"]) if "instance_id" in kwargs
                      else None)
            try:
                goto = func(**kwargs)
            except (InvalidInput, Conflict) as exc:
                ctx.rollback()
                flash(str(exc), "error")
                return redirect(target or url_for("inbox.index"))
            ctx.commit()
            flash(done_message, "success")
            return redirect(goto or target or url_for("inbox.index"))
        return view
    return wrap


def _form(name: str) -> str:
    return (request.form.get(name) or "").strip()


@bp.post("/tasks/<task_id>/claim")
@operation("已签收 / claimed")
def claim(task_id: str) -> str | None:
    tasks.claim(ctx.session(), ctx.actor(), ctx.now(), task_id)
    return None


@bp.post("/tasks/<task_id>/release")
@operation("已退回待办池 / released")
def release(task_id: str) -> str | None:
    tasks.release(ctx.session(), ctx.actor(), ctx.now(), task_id)
    return url_for("inbox.index")


@bp.post("/tasks/<task_id>/send-back")
@operation("已退回 / sent back")
def send_back(task_id: str) -> str | None:
    task_actions.send_back(ctx.session(), ctx.actor(), ctx.now(), task_id, _form("target"), _form("reason"))
    return url_for("inbox.index")


@bp.post("/tasks/<task_id>/reject")
@operation("已驳回，流程结束 / rejected")
def reject(task_id: str) -> str | None:
    task_actions.reject(ctx.session(), ctx.actor(), ctx.now(), task_id, _form("reason"))
    return url_for("inbox.index")


@bp.post("/tasks/<task_id>/transfer")
@operation("已转办 / transferred")
def transfer(task_id: str) -> str | None:
    task_actions.transfer(ctx.session(), ctx.actor(), ctx.now(), task_id, _form("to_user"), _form("reason"))
    return url_for("inbox.index")


@bp.post("/tasks/<task_id>/delegate")
@operation("已委派 / delegated")
def delegate(task_id: str) -> str | None:
    task_actions.delegate(ctx.session(), ctx.actor(), ctx.now(), task_id, _form("to_user"), _form("note"))
    return url_for("inbox.index")


@bp.post("/tasks/<task_id>/resolve")
@operation("已交回委派人 / handed back")
def resolve(task_id: str) -> str | None:
    task_actions.resolve(ctx.session(), ctx.actor(), ctx.now(), task_id, _form("opinion"))
    return url_for("inbox.index")


@bp.post("/tasks/<task_id>/copy")
@operation("已抄送 / copied")
def copy(task_id: str) -> str | None:
    picked = request.form.getlist("recipients")  # the picker; a typed list with commas works too
    names = [n for value in picked for n in value.replace("，", ",").split(",") if n.strip()]
    task_actions.carbon_copy(ctx.session(), ctx.actor(), ctx.now(), task_id, names, _form("note"))
    return None


@bp.post("/tasks/<task_id>/urge")
@operation("已催办 / urged")
def urge(task_id: str) -> str | None:
    task_actions.urge(ctx.session(), ctx.actor(), ctx.now(), task_id, _form("note"))
    return request.referrer if _local(request.referrer) else None


@bp.post("/tasks/<task_id>/add-signer")
@operation("已加签 / signer added")
def add_signer(task_id: str) -> str | None:
    task_actions.add_signer(ctx.session(), ctx.actor(), ctx.now(), task_id, _form("item"), _form("reason"))
    return None


@bp.post("/tasks/<task_id>/remove-signer")
@operation("已减签 / signer removed")
def remove_signer(task_id: str) -> str | None:
    row = tasks.get(ctx.session(), task_id)
    task_actions.remove_signer(ctx.session(), ctx.actor(), ctx.now(), task_id, _form("reason"))
    return url_for("instances.show", instance_id=row.instance_id)


@bp.post("/tasks/<task_id>/extension")
@operation("延期申请已提交 / extension requested")
def request_extension(task_id: str) -> str | None:
    try:
        days = int(_form("days"))
    except ValueError:
        raise InvalidInput("天数应为整数 / days must be a whole number", field="days") from None
    clock_id = _clock_of(task_id)
    extensions.request_extension(ctx.session(), ctx.actor(), ctx.now(), clock_id, days, _form("reason"))
    return None


@bp.post("/tasks/<task_id>/pause")
@operation("计时已暂停 / clock paused")
def pause(task_id: str) -> str | None:
    _visible_task(task_id)
    if not tasks.works_as(ctx.session(), tasks.get(ctx.session(), task_id), ctx.actor(), ctx.now())[0]:
        abort(403)
    lifecycle.pause_clock(ctx.session(), ctx.actor(), ctx.now(), _clock_of(task_id), _form("reason"), _form("note"))
    return None


@bp.post("/tasks/<task_id>/resume")
@operation("计时已恢复 / clock resumed")
def resume(task_id: str) -> str | None:
    if not tasks.works_as(ctx.session(), tasks.get(ctx.session(), task_id), ctx.actor(), ctx.now())[0]:
        abort(403)
    lifecycle.resume_clock(ctx.session(), ctx.actor(), ctx.now(), _clock_of(task_id))
    return None


def _clock_of(task_id: str) -> int:
    """The step's own clock, else the case clock: the one a handler asks about."""
    row = _visible_task(task_id)
    session = ctx.session()
    clock_id = session.scalar(select(Clock.id).where(Clock.task_id == row.id, Clock.active.is_(True)))
    if clock_id is None:
        clock_id = session.scalar(select(Clock.id).where(Clock.instance_id == row.instance_id,
                                                         Clock.task_id.is_(None), Clock.active.is_(True))
                                  .order_by(Clock.id))
    if clock_id is None:
        raise Conflict("这一步没有计时 / this step has no running time limit")
    return int(clock_id)


@bp.post("/instances/<int:instance_id>/withdraw")
def withdraw(instance_id: int) -> Any:
    try:
        row = task_actions.withdraw(ctx.session(), ctx.actor(), ctx.now(), instance_id)
    except (InvalidInput, Conflict) as exc:
        ctx.rollback()
        flash(str(exc), "error")
        return redirect(url_for("instances.show", instance_id=instance_id))
    ctx.commit()
    flash("已撤回 / withdrawn", "success")
    return redirect(url_for("inbox.task_page", task_id=row.id) if row else url_for("inbox.index"))


@bp.post("/copies/<int:copy_id>/read")
def read_copy(copy_id: int) -> Any:
    copy = task_actions.mark_copy_read(ctx.session(), ctx.actor(), ctx.now(), copy_id)
    ctx.commit()
    return redirect(url_for("instances.show", instance_id=copy.instance_id))


@bp.get("/attachments/<int:attachment_id>")
def download(attachment_id: int) -> Response:
    import io

    row = attachments.get(ctx.session(), ctx.actor(), ctx.now(), attachment_id)
    response = send_file(io.BytesIO(row.content), mimetype=row.content_type.split(";")[0],
                         as_attachment=True, download_name=row.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/tasks/<task_id>/attachments")
@operation("附件已上传 / uploaded")
def upload(task_id: str) -> str | None:
    row = _visible_task(task_id)
    if not tasks.works_as(ctx.session(), row, ctx.actor(), ctx.now())[0]:
        abort(403)
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if not files:
        raise InvalidInput("请选择文件 / choose a file", field="file")
    for f in files:
        attachments.store(ctx.session(), ctx.actor(), ctx.now(), f.filename, f.read(),
                          instance_id=row.instance_id, task_id=row.id)
    instances.get(ctx.session(), row.instance_id)
    return None


def _local(url: str | None) -> bool:
    return url is not None and url.startswith(request.host_url)
