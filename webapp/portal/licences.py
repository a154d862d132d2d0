"""Licence applications for citizens and companies: choose a matter, apply with materials, follow the
case by number and ID, answer a 补正 notice online, rate the service."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from engine.core.errors import Conflict, InvalidInput
from engine.gov import licensing, portal
from engine.gov.models import Application
from webapp import web_context as ctx
from webapp.portal import bp, intake, queries
from webapp.portal.common import (
    address,
    field_errors,
    forget,
    human_size,
    max_file_bytes,
    rating,
    remember,
    uploads,
    verified,
)

FIELDS = ("applicant", "id_number", "phone", "description")


@bp.get("/licence/")
def licence_matters() -> Any:
    return render_template("portal/licence_matters.html", matters=licensing.MATTERS)


def _apply_page(code: str, values: dict[str, str] | None = None,
                errors: dict[str, list[str]] | None = None) -> str:
    return render_template("portal/licence_apply.html", code=code, matter=licensing.MATTERS[code],
                           values=values or {}, errors=errors or {}, accept=portal.ACCEPT,
                           max_size=human_size(max_file_bytes()), max_files=portal.MAX_FILES)


@bp.get("/licence/apply/<code>")
def licence_apply(code: str) -> Any:
    if code not in licensing.MATTERS:
        abort(404)
    return _apply_page(code)


@bp.post("/licence/apply/<code>")
def licence_submit(code: str) -> Any:
    """The application and its materials are committed first; the case starts after (or on retry)."""
    if code not in licensing.MATTERS:
        abort(404)
    values = {name: (request.form.get(name) or "").strip() for name in FIELDS}
    try:
        app = portal.receive_application(ctx.session(), ctx.now(), uploads("materials"),
                                         max_bytes=max_file_bytes(), matter_code=code, **values)
    except InvalidInput as exc:
        ctx.rollback()
        return _apply_page(code, values, field_errors(exc)), 400
    ctx.commit()
    number, ident = app.number, app.id
    intake.start_kept("application", ident)
    return render_template("portal/licence_done.html", number=number, matter=licensing.MATTERS[code])


@bp.get("/licence/query")
def licence_query() -> Any:
    return render_template("portal/licence_query.html", values={}, errors={})


@bp.post("/licence/query")
def licence_lookup() -> Any:
    """A wrong ID is recorded (and committed) before the answer; too many answer 429."""
    number, tail = request.form.get("number", ""), request.form.get("id_tail", "")
    app = licensing.check(ctx.session(), ctx.now(), number, tail, address())
    ctx.commit()
    if app is None:
        errors = {"_": ["申请编号或证件号码后六位不正确 / the application number or the ID's last six characters "
                        "are wrong"]}
        return render_template("portal/licence_query.html", values={"number": number}, errors=errors), 403
    remember("application", app.id)
    return redirect(url_for("portal.licence_show"))


def _show(app: Application, errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    progress = queries.progress(ctx.session(), ctx.now(), app)
    return render_template("portal/licence_show.html", app=app, matter=licensing.MATTERS.get(app.matter, {}),
                           statuses=licensing.STATUSES, progress=progress, errors=errors or {},
                           accept=portal.ACCEPT, max_size=human_size(max_file_bytes())), status


def _verified_application() -> Application | None:
    return verified("application", Application)


@bp.get("/licence/application")
def licence_show() -> Any:
    app = _verified_application()
    if app is None:
        flash("请先输入申请编号和证件号码后六位 / enter the application number and the ID's last six first", "error")
        return redirect(url_for("portal.licence_query"))
    return _show(app)


@bp.post("/licence/application/supplement")
def licence_supplement() -> Any:
    """补正 answered online: the portal completes the step for the applicant and the clock runs again."""
    app = _verified_application()
    if app is None:
        return redirect(url_for("portal.licence_query"))
    try:
        portal.answer_supplement(ctx.session(), ctx.now(), app, uploads("materials"),
                                 request.form.get("supplement_note", ""), max_file_bytes())
    except (InvalidInput, Conflict) as exc:
        ctx.rollback()
        return _show(_verified_application() or app, field_errors(exc), 409 if isinstance(exc, Conflict) else 400)
    ctx.commit()
    flash("补正材料已提交，窗口将重新审查 / the materials were handed in; the window checks them again", "success")
    return redirect(url_for("portal.licence_show"))


@bp.post("/licence/application/rate")
def licence_rate() -> Any:
    app = _verified_application()
    if app is None:
        return redirect(url_for("portal.licence_query"))
    try:
        licensing.rate(ctx.session(), ctx.now(), app, rating(), request.form.get("comment", ""))
    except InvalidInput as exc:
        ctx.rollback()
        return _show(_verified_application() or app, field_errors(exc), 400)
    ctx.commit()
    flash("感谢您的评价 / thank you for rating the service", "success")
    return redirect(url_for("portal.licence_show"))


@bp.post("/licence/application/leave")
def licence_leave() -> Any:
    forget("application")
    return redirect(url_for("portal.licence_query"))
