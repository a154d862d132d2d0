"""Administration blueprint: users, deputies, the working-day calendar and the notification outbox."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
def index() -> Any:
    return render_template("admin/index.html")
