"""The working-day calendar: a year and one of its months as limits count them, and a day's override."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from engine.calendar import workdays
from engine.calendar.models import CalendarYear
from engine.core.clock import CHINA_TZ
from engine.core.errors import InvalidInput
from webapp import web_context as ctx
from webapp.admin import bp, parse_day, refuse

FIRST_YEAR, LAST_YEAR = 1990, 2199


def _today() -> date:
    return ctx.now().astimezone(CHINA_TZ).date()


def _number(name: str, default: int, low: int, high: int) -> int:
    """An integer query argument within bounds; anything else falls back to the default."""
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        return default
    return value if low <= value <= high else default


def weeks(days: list[workdays.DayView]) -> list[list[workdays.DayView | None]]:
    """A month laid out Monday to Sunday, blank cells before the first and after the last day."""
    cells: list[workdays.DayView | None] = [None] * days[0].day.weekday() + list(days)
    cells += [None] * (-len(cells) % 7)
    return [cells[i:i + 7] for i in range(0, len(cells), 7)]


def _context(year: int, month: int) -> dict[str, Any]:
    session = ctx.session()
    status = session.get(CalendarYear, (year, ""))
    month_days = workdays.month_days(session, year, month)
    return {"year": year, "month": month, "weeks": weeks(month_days),
            "month_workdays": sum(d.is_workday for d in month_days),
            "by_month": workdays.working_days_by_month(session, year),
            "summary": workdays.calendar_for(session).year_summary(year),
            "days": workdays.days_of_year(session, year), "year_row": status,
            "published": status is not None and status.status == workdays.OFFICIAL}


@bp.get("/calendar")
def calendar() -> Any:
    today = _today()
    year = _number("year", today.year, FIRST_YEAR, LAST_YEAR)
    month = _number("month", today.month if year == today.year else 1, 1, 12)
    context = _context(year, month)
    checked = request.args.get("check")
    if checked:
        try:
            day = parse_day(checked, "check", "查询日期")
            context["checked"] = (day, workdays.calendar_for(ctx.session()).is_workday(day))
        except InvalidInput as exc:
            flash(str(exc), "error")
    return render_template("admin/calendar.html", errors={}, values={}, **context)


@bp.post("/calendar")
def override_day() -> Any:
    form = request.form
    try:
        day = parse_day(form.get("day"), "day", "日期")
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise InvalidInput(f"日期须在 {FIRST_YEAR}–{LAST_YEAR} 年之间 / a day between {FIRST_YEAR} and "
                               f"{LAST_YEAR}", field="day")
        if not form.get("note", "").strip():
            raise InvalidInput("请写明调整原因（如 地方节假日）/ say why the day changes", field="note")
        workdays.set_day(ctx.session(), ctx.actor(), ctx.now(), day, form.get("kind", ""), form["note"].strip())
    except InvalidInput as exc:
        ctx.rollback()
        shown = _shown_day(form.get("day"))
        return refuse(exc, "admin/calendar.html", **_context(shown.year, shown.month))
    ctx.commit()
    flash(f"{day.isoformat()} 已设置，正在计时的时限已重新计算 / saved; running clocks were recomputed", "success")
    return redirect(url_for("admin.calendar", year=day.year, month=day.month, check=day.isoformat()))


def _shown_day(value: str | None) -> date:
    """The month to show again after a refusal: the typed day's when it is usable, else today's."""
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        return _today()
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else _today()
