"""Inbox blueprint (clerks and leaders): lists, the task page and every task operation."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

from webapp.inbox import actions, batch, extension_requests, letters, starting, views  # noqa: E402,F401  (routes)
