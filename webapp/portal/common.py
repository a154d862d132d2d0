"""What every portal page shares: bilingual refusals naming the field, the citizen's verified record,
the caller's address and the uploaded files."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import current_app, request, session

from engine.core.errors import EngineError, InvalidInput
from engine.gov import portal
from webapp import web_context as ctx

T = TypeVar("T")
VERIFIED_FOR = timedelta(minutes=30)
# Field -> Chinese label; the English side names the field as the form does.
LABELS = {
    "phone": "手机号码", "code": "验证码", "category": "来信类别", "title": "标题", "content": "来信内容",
    "writer_name": "姓名", "wants_public": "是否公开", "letter_code": "信件编号", "password": "查询密码",
    "matter": "办理事项", "applicant": "申请人", "id_number": "身份证号码或统一社会信用代码",
    "description": "申请说明", "file": "材料文件", "number": "申请编号", "id_tail": "证件号码后六位",
    "supplement_note": "补正说明", "rating": "评价", "comment": "评价意见",
}
# What to do, in Chinese, when the engine refuses a field (its own reason follows in English).
HINTS = {
    "phone": "请填写 11 位大陆手机号码，例如 13800138000",
    "code": "验证码错误、已过期或已用完，请重新获取",
    "category": "请选择咨询、建议或投诉",
    "title": "必填，最多 200 个字",
    "content": "必填，最多 5000 个字",
    "writer_name": "最多 100 个字",
    "matter": "请从列表中选择办理事项",
    "applicant": "必填，填写个人姓名或单位名称，最多 200 个字",
    "id_number": "请填写 18 位居民身份证号码或统一社会信用代码",
    "description": "最多 2000 个字",
    "supplement_note": "必填，说明补交了哪些材料，最多 2000 个字",
    "rating": "请在 1（很不满意）到 5（很满意）之间评分",
    "comment": "最多 500 个字",
    "file": "文件不符合要求",
}
CJK = re.compile(r"[\u4e00-\u9fff]")
# Finer Chinese reasons picked by a phrase of the engine's English message.
SPECIFIC = [
    ("file", "are not accepted", "文件类型不被接受，请上传 PDF、OFD、Word（.docx）、Excel（.xlsx）、JPG 或 PNG 文件"),
    ("file", "the limit is", "文件过大，超过了单个文件的大小上限"),
    ("file", "is empty", "文件是空的"),
    ("file", "does not contain what its name says", "文件内容与扩展名不符，已拒收"),
    ("file", "at most", "一次上传的文件过多"),
    ("file", "upload the missing", "请上传需补正的材料"),
    ("rating", "already been rated", "已经评价过，每件只能评价一次"),
    ("rating", "once", "办结后才能评价"),
    ("code", "is wrong", "验证码错误"),
    ("code", "just now", "刚刚已发送过验证码，请稍后再获取"),
    ("code", "today", "该号码今天获取验证码的次数已达上限，请明天再试"),
]


def message(field: str | None, english: str) -> str:
    """「中文字段名」中文说明 / field: the engine's English reason."""
    if not field:
        return english
    if " / " in english and CJK.search(english.split(" / ")[0]):  # the engine said it in Chinese already
        label = f"「{LABELS.get(field, field)}」"
        return english if english.startswith(label) else label + english
    hint = next((zh for f, phrase, zh in SPECIFIC if f == field and phrase in english), HINTS.get(field, "有误"))
    return f"「{LABELS.get(field, field)}」{hint} / {field}: {english}"


def field_errors(exc: EngineError) -> dict[str, list[str]]:
    """Errors by field for the form macros; `_` holds a refusal that names no field."""
    field = getattr(exc, "field", None) if isinstance(exc, InvalidInput) else None
    return {field or "_": [message(field, str(exc))]}


def address() -> str:
    """Where the request came from: wrong guesses are throttled per address as well as per code."""
    return request.remote_addr or "unknown"


def uploads(name: str) -> list[portal.Upload]:
    """The files sent under one form field name, as (filename, bytes)."""
    return [(f.filename or "", f.read()) for f in request.files.getlist(name) if f and f.filename]


def max_file_bytes() -> int:
    """The per-file limit: GOVFLOW_PORTAL_MAX_FILE_BYTES, else the engine's default."""
    return int(current_app.config.get("GOVFLOW_PORTAL_MAX_FILE_BYTES") or portal.MAX_FILE_BYTES)


def human_size(size: int) -> str:
    return f"{size / 1048576:.0f} MB" if size >= 1048576 else f"{max(size // 1024, 1)} KB"


def rating() -> int:
    """The 1–5 choice of a rating form; anything else is refused on field `rating`."""
    raw = (request.form.get("rating") or "").strip()
    if not raw.isdigit():
        raise InvalidInput("choose a rating from 1 to 5", field="rating")
    return int(raw)


def remember(kind: str, ident: int) -> None:
    """After a correct code and password (or number and ID), the browser may see that record a while."""
    session[f"portal_{kind}"] = {"id": ident, "at": ctx.now().isoformat()}


def forget(kind: str) -> None:
    session.pop(f"portal_{kind}", None)


def verified(kind: str, model: type[T]) -> T | None:
    """The record this browser proved it may see, within VERIFIED_FOR of the proof (the injected clock)."""
    entry: Any = session.get(f"portal_{kind}")
    try:
        ident, at = int(entry["id"]), datetime.fromisoformat(entry["at"])
    except (TypeError, KeyError, ValueError):
        return None
    if not timedelta(0) <= ctx.now() - at <= VERIFIED_FOR:
        forget(kind)
        return None
    return ctx.session().get(model, ident)
