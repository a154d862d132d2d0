"""实时监察, 预警 and the reports: thin views over the named queries, each also a CSV or XLSX file."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from engine.clocks import schedule as sched
from engine.core.errors import Conflict, Forbidden, InvalidInput
from engine.gov import supervision
from webapp import labels
from webapp import web_context as ctx
from webapp.supervision import bp, charts, export, params, queries, reports


def _choices() -> dict[str, Any]:
    """What every filter form offers, and the page's query string for pager and export links."""
    session = ctx.session()
    args = {k: v for k, v in request.args.to_dict().items() if k not in ("page", "format")}
    return {"processes": queries.processes(session), "departments": queries.departments(session), "args": args}


def _file(fmt: str, name: str, columns: list[export.Column], rows: list[dict[str, Any]]) -> Any:
    return export.download(fmt, name, columns, rows, ctx.lang(), sched.china_date(ctx.now()))


def _list_file(fmt: str, name: str, columns: list[export.Column], page: queries.Page) -> Any:
    """A list as a file, never cut short silently: past the limit the supervisor narrows the filter first."""
    if page.total <= queries.EXPORT_MAX:
        return _file(fmt, name, columns, page.rows)
    flash(f"共 {page.total} 条，超过导出上限 {queries.EXPORT_MAX} 条，请缩小筛选范围后再导出 / {page.total} rows: "
          f"more than the {queries.EXPORT_MAX} an export holds; narrow the filter first", "error")
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "format"}
    return redirect(url_for(request.endpoint or "supervision.index", **args))


@bp.get("/live")
@bp.get("/")
def index() -> Any:
    """Every running clock with its days used and left; the status tabs count under the same filter."""
    f, fmt = params.clock_filter(request.args), params.export_format(request.args)
    page = queries.live_clocks(ctx.session(), f, ctx.now(), export=fmt is not None)
    if fmt:
        return _list_file(fmt, "live", export.clock_columns(ctx.lang()), page)
    return render_template("supervision/index.html", page=page, f=f, tab="live", **_choices())


@bp.get("/warnings")
def warnings() -> Any:
    """黄牌 or 红牌, newest first, with who was told and when; urge or issue an order from any row."""
    f, fmt = params.clock_filter(request.args), params.export_format(request.args)
    page = queries.warnings(ctx.session(), f, ctx.now(), export=fmt is not None)
    if fmt:
        return _list_file(fmt, f"warnings-{f.level}", export.warning_columns(ctx.lang()), page)
    return render_template("supervision/warnings.html", page=page, f=f, tab="warnings", **_choices())


def _back(default: str) -> str:
    """Where a form came from, when it is one of our own pages (never another site)."""
    target = request.form.get("next") or ""
    return target if target.startswith("/supervision") and not target.startswith("//") else default


@bp.post("/clocks/<int:clock_id>/urge")
def urge(clock_id: int) -> Any:
    """催办 through the engine's urge: the step's holder (or every open step of a case clock) is told."""
    try:
        people = supervision.urge_clock(ctx.session(), ctx.actor(), ctx.now(), clock_id,
                                        (request.form.get("note") or "").strip())
    except (InvalidInput, Conflict, Forbidden) as exc:
        ctx.rollback()
        flash(str(exc), "error")
    else:
        ctx.commit()
        named = "、".join(labels.person(p) for p in people)
        flash(f"已催办：{named} / urged: {named}", "success")
    return redirect(_back(url_for("supervision.warnings")))


@bp.get("/overdue")
def overdue() -> Any:
    """超期件: overdue now, or finished late in the period."""
    f, fmt = params.report_filter(request.args, ctx.now()), params.export_format(request.args)
    page = reports.overdue_cases(ctx.session(), f, ctx.now(), export=fmt is not None)
    if fmt:
        return _list_file(fmt, "overdue", export.overdue_columns(ctx.lang()), page)
    return render_template("supervision/overdue.html", page=page, f=f, tab="overdue", **_choices())


HANDLERS_SHOWN = 50  # the page shows the busiest; the export (or a department filter) gives everyone
REPORT_TABLES = {"departments": (reports.department_report, export.department_columns),
                 "handlers": (reports.handler_report, export.handler_columns),
                 "trend": (reports.trend, export.trend_columns)}


@bp.get("/reports")
def reports_page() -> Any:
    """Per department and per handler for the period, the trend, and charts drawn on the server."""
    session, now = ctx.session(), ctx.now()
    f, fmt = params.report_filter(request.args, now), params.export_format(request.args)
    if fmt:
        return _report_file(fmt, request.args.get("table", ""), f)
    trend = _trend(f)
    by_department, handlers = reports.performance(session, f, now)
    return render_template("supervision/reports.html", f=f, tab="reports", by_department=by_department,
                           handlers=handlers[:HANDLERS_SHOWN], handler_count=len(handlers), trend=trend,
                           **_charts(by_department, trend), **_choices())


def _report_file(fmt: str, table: str, f: reports.ReportFilter) -> Any:
    name = table if table in REPORT_TABLES else "departments"
    query, columns = REPORT_TABLES[name]
    rows = _trend(f) if query is reports.trend else query(ctx.session(), f, ctx.now())
    return _file(fmt, f"report-{name}", columns(ctx.lang()), rows)


def _charts(by_department: list[dict[str, Any]], trend: list[dict[str, Any]]) -> dict[str, Any]:
    """The on-time rate per department as bars, and the trend as lines, in the page's language."""
    def say(zh: str, en: str) -> str:
        return en if ctx.lang() == "en" else zh

    labels = [r["label"] for r in trend]
    return {
        "department_chart": charts.bar_chart([(r["name"] or say("未指定", "unspecified"), r["on_time_rate"])
                                              for r in by_department], say("各部门按时办结率", "On-time rate per department")),
        "rate_chart": charts.line_chart(labels, [(say("按时办结率", "on-time rate"), [r["on_time_rate"] for r in trend])],
                                        say("按时办结率走势", "On-time rate trend"), percent=True),
        "count_chart": charts.line_chart(labels, [(say("办结件数", "finished"), [float(r["finished"]) for r in trend]),
                                                  (say("超期办结", "late"), [float(r["late"]) for r in trend])],
                                         say("办结件数走势", "Finished per period")),
    }


def _trend(f: reports.ReportFilter) -> list[dict[str, Any]]:
    """The trend, or none with the reason when the period holds too many weeks or months."""
    try:
        return reports.trend(ctx.session(), f, ctx.now())
    except InvalidInput as exc:
        flash(str(exc), "error")
        return []
