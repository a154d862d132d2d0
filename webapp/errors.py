"""Engine refusals mapped to HTTP in one place, with a readable page."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.core.errors import (
    Conflict,
    EngineError,
    ExecutionError,
    Forbidden,
    InvalidDefinition,
    InvalidInput,
    NotFound,
)
from engine.flow import incidents
from engine.org.verification import Throttled
from webapp import web_context as ctx
from webapp.extensions import db

STATUS = {Throttled: 429, NotFound: 404, Forbidden: 403, Conflict: 409, InvalidInput: 400, InvalidDefinition: 400}
TITLES = {400: "请求有误 / Bad request", 403: "没有权限 / Forbidden", 404: "未找到 / Not found",
          409: "已被他人处理 / Conflict", 413: "文件过大 / Too large", 422: "步骤无法执行 / Step failed",
          429: "请求过多 / Too many requests", 500: "出错了 / Error"}


def _page(status: int, message: str, detail: str | None = None) -> Any:
    return render_template("errors/error.html", status=status, title=TITLES.get(status, str(status)),
                           message=message, detail=detail), status


def _record_incident(exc: ExecutionError) -> bool:
    """The failed step is rolled back; its incident is kept for designers and administrators."""
    user = getattr(g, "user", None)
    if not incidents.record(db.session(), ctx.now(), exc, getattr(user, "username", None)):
        return False
    db.session.commit()
    return True


def init_app(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError) -> Any:
        db.session.rollback()
        if isinstance(exc, ExecutionError) and _record_incident(exc):
            return _page(422, "该步骤执行失败，未作任何更改，已记录为运行故障；请联系流程设计人员修改流程 / "
                              "the step failed and nothing was changed; it is recorded as an incident", str(exc))
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 422)
        field = getattr(exc, "field", None)
        return _page(status, (f"{field}: " if field else "") + str(exc))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return _page(400, "页面已过期或缺少安全令牌，请刷新后重试 / the form expired or lacks its security token: "
                          "reload the page and try again")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        return _page(exc.code or 500, exc.description or "")
