"""Public portal for citizens and companies (no login): the mayor's mailbox and licence applications."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from werkzeug.exceptions import RequestEntityTooLarge

from engine.org.verification import Throttled
from webapp import web_context as ctx
from webapp.portal.common import human_size

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.get("/")
def index() -> Any:
    return render_template("portal/index.html")


@bp.errorhandler(Throttled)
def throttled(exc: Throttled) -> Any:
    """Too many wrong codes, passwords or ID numbers: 429, and how long to wait."""
    ctx.rollback()
    text = str(exc)  # 错误次数过多，请 N 分钟后再试, in both languages
    return render_template("portal/refused.html", status=429, message=text), 429


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> Any:
    """The whole upload is over the request limit, before any single file could be checked."""
    limit = human_size(int(current_app.config.get("MAX_CONTENT_LENGTH") or 0))
    text = (f"「材料文件」上传内容过大，一次最多 {limit}，请分次上传或压缩后再试 / "
            f"file: the upload is larger than {limit} in all; send fewer or smaller files")
    return render_template("portal/refused.html", status=413, message=text), 413


from webapp.portal import intake, letters, licences  # noqa: E402,F401  (routes and commands register on bp)
