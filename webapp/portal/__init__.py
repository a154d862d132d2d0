"""Public portal for citizens and companies (no login): the mayor's mailbox and licence applications."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.get("/")
def index() -> Any:
    return render_template("portal/index.html")
