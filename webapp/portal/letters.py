"""市长信箱 for citizens: write a letter (phone confirmed by a one-time code), look it up with its code
and password, rate the reply, read the published replies."""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, request, url_for

from engine.core.errors import Conflict, InvalidInput
from engine.gov import mailbox, portal
from engine.gov.models import Letter
from webapp import web_context as ctx
from webapp.portal import bp, intake
from webapp.portal.common import address, field_errors, forget, message, rating, remember, verified

PER_PAGE = 10
FIELDS = ("writer_name", "phone", "category", "title", "content")


def _values() -> dict[str, Any]:
    values: dict[str, Any] = {name: (request.form.get(name) or "").strip() for name in FIELDS}
    values["wants_public"] = request.form.get("wants_public") == "1"
    return values


def _write_page(values: dict[str, Any] | None = None, errors: dict[str, list[str]] | None = None,
                sent_to: str | None = None) -> str:
    return render_template("portal/letter_write.html", values=values or {}, errors=errors or {},
                           categories=mailbox.CATEGORIES, sent_to=sent_to, limits=mailbox)


@bp.get("/mailbox/write")
def letter_write() -> Any:
    return _write_page()


@bp.post("/mailbox/code")
def letter_code() -> Any:
    """Send the one-time code and show the form again with everything already written."""
    values = _values()
    try:
        portal.send_letter_code(ctx.session(), ctx.now(), values["phone"], address())
    except InvalidInput as exc:
        ctx.rollback()
        return _write_page(values, field_errors(exc)), 400
    except Conflict as exc:  # asked again too soon, or too often today
        ctx.rollback()
        return _write_page(values, {"code": [message("code", str(exc))]}), 429
    ctx.commit()
    return _write_page(values, sent_to=values["phone"][-4:])


@bp.post("/mailbox/write")
def letter_submit() -> Any:
    """Keep the letter (committed) before its process starts; the code and password are shown once."""
    values = _values()
    try:
        sent = portal.receive_letter(ctx.session(), ctx.now(), request.form.get("code", ""), **values)
    except InvalidInput as exc:
        if exc.field == "code":
            ctx.commit()  # the wrong try counts towards the code's limit
        else:
            ctx.rollback()
        return _write_page(values, field_errors(exc)), 400
    ctx.commit()
    code, password, ident = sent.letter.code, sent.password, sent.letter.id
    intake.start_kept("letter", ident)
    response = make_response(render_template("portal/letter_done.html", code=code, password=password))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/mailbox/query")
def letter_query() -> Any:
    return render_template("portal/letter_query.html", values={}, errors={})


@bp.post("/mailbox/query")
def letter_lookup() -> Any:
    """A wrong password is recorded (and committed) before the answer; too many answer 429."""
    code, password = request.form.get("letter_code", ""), request.form.get("password", "")
    letter = mailbox.check_letter(ctx.session(), ctx.now(), code, password, address())
    ctx.commit()
    if letter is None:
        errors = {"_": ["信件编号或查询密码不正确 / the letter code or password is wrong"]}
        return render_template("portal/letter_query.html", values={"letter_code": code}, errors=errors), 403
    remember("letter", letter.id)
    return redirect(url_for("portal.letter_show"))


def _verified_letter() -> Letter | None:
    return verified("letter", Letter)


@bp.get("/mailbox/letter")
def letter_show() -> Any:
    letter = _verified_letter()
    if letter is None:
        flash("请先输入信件编号和查询密码 / enter the letter code and password first", "error")
        return redirect(url_for("portal.letter_query"))
    return render_template("portal/letter_show.html", letter=letter, errors={}, categories=mailbox.CATEGORIES)


@bp.post("/mailbox/letter/rate")
def letter_rate() -> Any:
    letter = _verified_letter()
    if letter is None:
        return redirect(url_for("portal.letter_query"))
    try:
        mailbox.rate(ctx.session(), ctx.now(), letter, rating(), request.form.get("comment", ""))
    except InvalidInput as exc:
        ctx.rollback()
        return render_template("portal/letter_show.html", letter=_verified_letter(), errors=field_errors(exc),
                               categories=mailbox.CATEGORIES), 400
    ctx.commit()
    flash("感谢您的评价 / thank you for rating the reply", "success")
    return redirect(url_for("portal.letter_show"))


@bp.post("/mailbox/letter/leave")
def letter_leave() -> Any:
    forget("letter")
    return redirect(url_for("portal.letter_query"))


@bp.get("/mailbox/replies")
def letter_replies() -> Any:
    """The public list of published replies (no names or phone numbers), ten a page."""
    page = request.args.get("page", "1")
    number = max(int(page), 1) if page.isdigit() else 1
    total = mailbox.published_count(ctx.session())
    rows = mailbox.published(ctx.session(), PER_PAGE, (number - 1) * PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("portal/letter_replies.html", rows=rows, page=number, pages=pages, total=total,
                           categories=mailbox.CATEGORIES)
