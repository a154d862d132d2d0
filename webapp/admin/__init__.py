"""Administration blueprint: users, deputies, the working-day calendar and the notification outbox."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from engine import admin, deputies, workdays
from engine.clock import CHINA_TZ
from engine.errors import InvalidInput
from engine.models import CalendarYear, Department
from engine.models_gov import Deputyship
from webapp import web_context as ctx

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50


def _page() -> int:
    try:
        return max(int(request.args.get("page", "1")), 1)
    except ValueError:
        return 1


def _departments() -> list[tuple[str, str]]:
    return [(d.code, d.name) for d in ctx.session().scalars(select(Department).order_by(Department.code))]


def _fail(exc: InvalidInput, template: str, status: int = 400, **context: Any) -> Any:
    """Re-show the page with the refusal next to the field it names; nothing typed is lost."""
    field = getattr(exc, "field", None) or "_"
    return render_template(template, errors={field: [str(exc)]}, values=request.form, **context), status


@bp.get("/")
def index() -> Any:
    return redirect(url_for("admin.users"))


def _users_context() -> dict[str, Any]:
    page = _page()
    people, total = admin.people(ctx.session(), request.args.get("q"), PER_PAGE, (page - 1) * PER_PAGE)
    return {"people": people, "total": total, "page": page, "pages": max(1, -(-total // PER_PAGE)),
            "departments": _departments(), "q": request.args.get("q", "")}


@bp.get("/users")
def users() -> Any:
    return render_template("admin/users.html", errors={}, values={}, **_users_context())


@bp.post("/users")
def create_user() -> Any:
    form = request.form
    try:
        admin.create(ctx.session(), ctx.actor(), ctx.now(), form.get("username", ""),
                     display_name=form.get("display_name", ""), department=form.get("department") or None,
                     groups=form.get("groups", ""), email=form.get("email"), password=form.get("password") or None)
    except InvalidInput as exc:
        ctx.rollback()
        return _fail(exc, "admin/users.html", **_users_context())
    ctx.commit()
    flash(f"已创建用户 {form.get('username')} / user created", "success")
    return redirect(url_for("admin.users"))


def _edit_context(username: str) -> dict[str, Any]:
    from engine import org

    user = org.get_user(ctx.session(), username)
    return {"user": user, "groups": admin.people_groups(ctx.session(), [user.id]).get(user.id, []),
            "departments": _departments()}


@bp.get("/users/<username>")
def edit_user(username: str) -> Any:
    return render_template("admin/user.html", errors={}, values={}, **_edit_context(username))


@bp.post("/users/<username>")
def update_user(username: str) -> Any:
    form = request.form
    try:
        admin.update(ctx.session(), ctx.actor(), ctx.now(), username, display_name=form.get("display_name", ""),
                     department=form.get("department") or None, groups=form.get("groups", ""),
                     email=form.get("email"), active=form.get("active") == "1", password=form.get("password") or None)
    except InvalidInput as exc:
        ctx.rollback()
        return _fail(exc, "admin/user.html", **_edit_context(username))
    ctx.commit()
    flash(f"已保存 {username} / saved", "success")
    return redirect(url_for("admin.edit_user", username=username))


def _day(value: str | None, field: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise InvalidInput("日期格式应为 YYYY-MM-DD / a date is YYYY-MM-DD", field=field) from None


def _deputies_context() -> dict[str, Any]:
    rows = ctx.session().scalars(select(Deputyship).order_by(Deputyship.revoked_at.is_not(None),
                                                             Deputyship.starts_at.desc()).limit(200))
    return {"rows": list(rows), "now": ctx.now().replace(tzinfo=None)}


@bp.get("/deputies")
def deputies_page() -> Any:
    return render_template("admin/deputies.html", errors={}, values={}, **_deputies_context())


@bp.post("/deputies")
def grant_deputy() -> Any:
    form = request.form
    try:
        start, end = _day(form.get("starts_on"), "starts_on"), _day(form.get("ends_on"), "ends_on")
        deputies.grant(ctx.session(), ctx.actor(), ctx.now(), form.get("principal", "").strip(),
                       form.get("deputy", "").strip(), datetime.combine(start, time(), CHINA_TZ),
                       datetime.combine(end + timedelta(days=1), time(), CHINA_TZ), form.get("reason", ""))
    except InvalidInput as exc:
        ctx.rollback()
        return _fail(exc, "admin/deputies.html", **_deputies_context())
    ctx.commit()
    flash("已授权代理 / deputy named", "success")
    return redirect(url_for("admin.deputies_page"))


@bp.post("/deputies/<int:deputyship_id>/revoke")
def revoke_deputy(deputyship_id: int) -> Any:
    deputies.revoke(ctx.session(), ctx.actor(), ctx.now(), deputyship_id)
    ctx.commit()
    flash("已撤销代理 / deputyship ended", "success")
    return redirect(url_for("admin.deputies_page"))


def _calendar_context(year: int) -> dict[str, Any]:
    session = ctx.session()
    status = session.get(CalendarYear, (year, ""))
    return {"year": year, "days": workdays.days_of_year(session, year), "year_row": status,
            "published": status is not None and status.status == "official"}


@bp.get("/calendar")
def calendar() -> Any:
    try:
        year = int(request.args.get("year", ctx.now().astimezone(CHINA_TZ).year))
    except ValueError:
        year = ctx.now().astimezone(CHINA_TZ).year
    context = _calendar_context(year)
    checked = request.args.get("check")
    if checked:
        try:
            day = _day(checked, "check")
            context["checked"] = (day, workdays.calendar_for(ctx.session()).is_workday(day))
        except InvalidInput as exc:
            flash(str(exc), "error")
    return render_template("admin/calendar.html", errors={}, values={}, **context)


@bp.post("/calendar")
def override_day() -> Any:
    form = request.form
    try:
        day = _day(form.get("day"), "day")
        if not form.get("note", "").strip():
            raise InvalidInput("请写明调整原因（如 地方节假日）/ say why the day changes", field="note")
        workdays.set_day(ctx.session(), ctx.actor(), ctx.now(), day, form.get("kind", ""), form["note"].strip())
    except InvalidInput as exc:
        ctx.rollback()
        year = ctx.now().astimezone(CHINA_TZ).year
        return _fail(exc, "admin/calendar.html", **_calendar_context(year))
    ctx.commit()
    flash(f"{day.isoformat()} 已设置 / saved; running clocks were recomputed", "success")
    return redirect(url_for("admin.calendar", year=day.year, check=day.isoformat()))


@bp.get("/outbox")
def outbox() -> Any:
    page = _page()
    channel = request.args.get("channel") or None
    rows, total = admin.outbox(ctx.session(), channel, request.args.get("recipient"), PER_PAGE, (page - 1) * PER_PAGE)
    return render_template("admin/outbox.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), channel=channel or "",
                           recipient=request.args.get("recipient", ""))
