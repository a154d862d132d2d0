"""CSV and XLSX downloads of every supervision list and report, with the page's own filters.

CSV is UTF-8 with a byte-order mark, so Excel opens Chinese text correctly. Text that a spreadsheet
would run as a formula (citizens write letter titles) is kept as text in both formats.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Response

from engine.core.clock import CHINA_TZ, as_utc
from webapp import labels

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND = {"case": ("整件", "case"), "step": ("环节", "step")}


@dataclass(frozen=True)
class Column:
    zh: str
    en: str
    get: Callable[[dict[str, Any]], Any]


def _pick(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    pair = table.get(key or "", (key or "", key or ""))
    return pair[1] if lang == "en" else pair[0]


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _limit(r: dict[str, Any]) -> str:
    return f"{r['limit_days']}{'wd' if r['unit'] == 'wd' else 'd'}"


def clock_columns(lang: str) -> list[Column]:
    """One running (or overdue) clock per row, as on the live page."""
    return [
        Column("案件编号", "case", lambda r: r["instance_id"]),
        Column("标题", "title", lambda r: r["title"]),
        Column("流程", "process", lambda r: r["process_name"] or r["process_id"]),
        Column("类型", "kind", lambda r: _pick(KIND, r["kind"], lang)),
        Column("环节", "step", lambda r: r["task_name"] or r["element_id"]),
        Column("责任人", "handler", lambda r: r["responsible"]),
        Column("责任人姓名", "handler name", lambda r: r["responsible_name"]),
        Column("部门", "department", lambda r: r["department_name"] or r["department_code"]),
        Column("时限", "limit", lambda r: r["policy_name"]),
        Column("法定依据", "legal basis", lambda r: r["legal_basis"]),
        Column("时限天数", "limit days", _limit),
        Column("延长天数", "days extended", lambda r: r["extended_days"]),
        Column("开始时间", "started", lambda r: r["started_at"]),
        Column("截止日期", "last day", lambda r: r["last_day"]),
        Column("已用工作日", "working days used", lambda r: r["used_days"]),
        Column("剩余工作日", "working days left", lambda r: r["remaining_days"]),
        Column("暂停次数", "pauses", lambda r: len(r["pauses"])),
        Column("暂停开始", "paused since", lambda r: r["paused_since"]),
        Column("延期次数", "extensions", lambda r: r["extensions"]),
        Column("状态", "status", lambda r: labels.status(r["status"], "clock")),
        Column("预警", "warning", lambda r: "" if r["warning_level"] in (None, "none")
               else labels.status(r["warning_level"], "level")),
    ]


def warning_columns(lang: str) -> list[Column]:
    return clock_columns(lang) + [
        Column("通知对象", "notified", lambda r: "、".join(labels.person(name) for name in r["notified"])),
        Column("通知时间", "notified at", lambda r: r["notified_at"]),
        Column("最近催办人", "last urged by", lambda r: r["urged_by"]),
        Column("最近催办时间", "last urged at", lambda r: r["urged_at"]),
        Column("未结督办单", "open orders", lambda r: r["open_orders"]),
    ]


def overdue_columns(lang: str) -> list[Column]:
    return clock_columns(lang) + [Column("办结时间", "finished", lambda r: r["finished_at"]),
                                  Column("超期工作日", "working days late", lambda r: r["late_days"])]


def _figures() -> list[Column]:
    return [Column("办结件数", "finished", lambda r: r["finished"]),
            Column("按时办结", "on time", lambda r: r["on_time"]),
            Column("超期办结", "late", lambda r: r["late"]),
            Column("按时办结率(%)", "on-time rate (%)", lambda r: _percent(r["on_time_rate"])),
            Column("平均用时(工作日)", "average working days", lambda r: r["avg_days"]),
            Column("最长用时(工作日)", "longest (working days)", lambda r: r["max_days"]),
            Column("延期件数", "extended", lambda r: r["extended"]),
            Column("延期天数", "days extended", lambda r: r["extension_days"]),
            Column("暂停次数", "pauses", lambda r: r["pauses"])]


def department_columns(lang: str) -> list[Column]:
    return [Column("部门代码", "department code", lambda r: r["department"]),
            Column("部门", "department", lambda r: r["name"])] + _figures()


def handler_columns(lang: str) -> list[Column]:
    return [Column("用户名", "user", lambda r: r["handler"]), Column("姓名", "name", lambda r: r["name"]),
            Column("部门", "department", lambda r: r["department_name"])] + _figures()


def trend_columns(lang: str) -> list[Column]:
    return [Column("周期", "period", lambda r: r["label"]), Column("起", "from", lambda r: r["first"]),
            Column("止", "to", lambda r: r["last"]), Column("办结件数", "finished", lambda r: r["finished"]),
            Column("按时办结", "on time", lambda r: r["on_time"]), Column("超期办结", "late", lambda r: r["late"]),
            Column("按时办结率(%)", "on-time rate (%)", lambda r: _percent(r["on_time_rate"])),
            Column("平均用时(工作日)", "average working days", lambda r: r["avg_days"])]


def _local(value: datetime) -> datetime:
    """Stored naive UTC as China wall time (spreadsheets have no time zones)."""
    return as_utc(value).astimezone(CHINA_TZ).replace(tzinfo=None)


def _safe_text(value: str) -> str:
    """A cell starting like a formula stays text (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return f"{_local(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _safe_text(value)
    return "" if value is None else value


def to_csv(columns: Sequence[Column], rows: Iterable[dict[str, Any]], lang: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.en if lang == "en" else c.zh for c in columns])
    for row in rows:
        writer.writerow([_csv_value(c.get(row)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(columns: Sequence[Column], rows: Iterable[dict[str, Any]], lang: str, sheet: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    ws.append([c.en if lang == "en" else c.zh for c in columns])
    for row in rows:
        cells = []
        for column in columns:
            value = column.get(row)
            if isinstance(value, datetime):
                value = _local(value)
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # openpyxl would store it as a formula
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        ws.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(fmt: str, name: str, columns: Sequence[Column], rows: Iterable[dict[str, Any]], lang: str,
             today: date) -> Response:
    """The file as an attachment named after the list and the day."""
    filename = f"{name}-{today:%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        body, mimetype = to_xlsx(columns, rows, lang, name), XLSX_TYPE
    else:
        body, mimetype = to_csv(columns, rows, lang), "text/csv; charset=utf-8"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
