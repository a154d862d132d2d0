"""Administration blueprint: users, deputies, the working-day calendar, the notification outbox,
webhooks and the organisation from the directory (role mappings, leavers' work)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select

from engine.core.errors import InvalidInput
from engine.org.models import Department
from webapp import web_context as ctx

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50


def page_number() -> int:
    """The ?page= argument; anything malformed is page 1 rather than an error."""
    try:
        return max(int(request.args.get("page", "1")), 1)
    except ValueError:
        return 1


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    return max(1, -(-total // per_page))


def parse_day(value: str | None, field: str, label: str = "日期") -> date:
    """A YYYY-MM-DD form value, refused naming the field (its label, as the form shows it) otherwise."""
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidInput(f"「{label}」的格式应为 YYYY-MM-DD / {field}: a date is YYYY-MM-DD", field=field) from None


def departments() -> list[tuple[str, str]]:
    """(code, name) of every department, for the pickers."""
    return [(d.code, d.name) for d in ctx.session().scalars(select(Department).order_by(Department.code))]


def refuse(exc: InvalidInput, template: str, fields: dict[str, str] | None = None, **context: Any) -> Any:
    """Re-show the page with the refusal next to the field it names (engine names mapped to the form's
    through `fields`); nothing typed is lost. The caller has rolled back."""
    field = getattr(exc, "field", None) or "_"
    field = (fields or {}).get(field, field)
    return render_template(template, errors={field: [str(exc)]}, values=request.form, **context), 400


@bp.get("/")
def index() -> Any:
    return redirect(url_for("admin.users"))


from webapp.admin import accounts, calendar_views, deputyships, directory_views, outbox, webhooks  # noqa: E402,F401  (routes register on bp)
