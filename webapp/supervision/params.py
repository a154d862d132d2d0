"""Query-string filters of the supervision pages; anything malformed is dropped with a message, not a 500."""

from __future__ import annotations

from datetime import date, datetime

from flask import flash
from werkzeug.datastructures import MultiDict

from webapp.supervision.queries import LIVE_STATUSES, ClockFilter, OrderFilter
from webapp.supervision.reports import UNITS, ReportFilter, default_filter


def _date(args: MultiDict[str, str], name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        flash(f"日期格式应为 YYYY-MM-DD：{name} / {name} must be a date (YYYY-MM-DD)", "error")
        return None


def _page(args: MultiDict[str, str]) -> int:
    raw = args.get("page", "1")
    return max(int(raw), 1) if raw.isdigit() else 1


def _text(args: MultiDict[str, str], name: str) -> str | None:
    return (args.get(name) or "").strip() or None


def clock_filter(args: MultiDict[str, str]) -> ClockFilter:
    status = args.get("status") or None
    return ClockFilter(process=_text(args, "process"), department=_text(args, "department"),
                       handler=_text(args, "handler"), status=status if status in LIVE_STATUSES else None,
                       due_from=_date(args, "due_from"), due_to=_date(args, "due_to"),
                       level="yellow" if args.get("level") == "yellow" else "red", page=_page(args))


def report_filter(args: MultiDict[str, str], now: datetime) -> ReportFilter:
    f = default_filter(now)
    f.date_from = _date(args, "from") or f.date_from
    f.date_to = _date(args, "to") or f.date_to
    if f.date_to < f.date_from:
        flash("结束日期早于开始日期，已对调 / the period ended before it started: the dates were swapped", "error")
        f.date_from, f.date_to = f.date_to, f.date_from
    f.process, f.department = _text(args, "process"), _text(args, "department")
    unit = args.get("unit") or ""
    f.unit = unit if unit in UNITS else "week"
    f.page = _page(args)
    return f


def order_filter(args: MultiDict[str, str]) -> OrderFilter:
    return OrderFilter(status=_text(args, "status"), addressee=_text(args, "addressee"),
                       issued_by=_text(args, "issued_by"), page=_page(args))


def export_format(args: MultiDict[str, str]) -> str | None:
    """'csv' or 'xlsx' when the page is asked for as a file."""
    fmt = args.get("format")
    return fmt if fmt in ("csv", "xlsx") else None
