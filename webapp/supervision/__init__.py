"""Supervision blueprint (电子监察) for supervisors and leaders: live clocks, warnings, orders, reports."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


@bp.get("/")
def index() -> Any:
    return render_template("supervision/index.html")
