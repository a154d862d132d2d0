"""Registers the role blueprints, their template filters and what every page template may use."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask, g
from sqlalchemy import bindparam, func, select

from engine.core.clock import CHINA_TZ, as_utc
from engine.gov.models import SupervisionOrder
from engine.org import directory, notify
from engine.org.models import Department, Group, Membership, User
from webapp import labels, problem_words
from webapp import web_context as ctx
from webapp.admin import bp as admin_bp
from webapp.designer import bp as designer_bp
from webapp.inbox import bp as inbox_bp
from webapp.instances import bp as instances_bp
from webapp.notices import bp as notices_bp
from webapp.portal import bp as portal_bp
from webapp.supervision import bp as supervision_bp

SUPERVISORS = {"supervisor", "city_leader", "admin"}


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Stored naive-UTC moments shown in China time."""
    if value is None:
        return ""
    return as_utc(value).astimezone(CHINA_TZ).strftime(fmt)


def deadline(value: datetime | None) -> str:
    """A due moment as people count it: a limit ending at midnight is shown by its last day (the 13th,
    not the 14th 00:00), as the CLI, the notices and the reports say it; any other moment with its time."""
    if value is None:
        return "—"
    local = as_utc(value).astimezone(CHINA_TZ)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return (local - timedelta(microseconds=1)).strftime("%Y-%m-%d")
    return local.strftime("%Y-%m-%d %H:%M")


def _pickers() -> dict[str, list[tuple[str, str]]]:
    """Options for user and department pickers in forms (only on pages that render a form)."""
    session = ctx.session()
    users = [(u.username, u.display_name or u.username)
             for u in session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))]
    depts = [(d.code, d.name) for d in session.scalars(select(Department).order_by(Department.code))]
    return {"user": users, "department": depts}


def _members_picker(group: str) -> list[tuple[str, str]]:
    """Only the people of one group: e.g. the leaders entitled to sign (签发)."""
    rows = ctx.session().execute(select(User.username, User.display_name).join(Membership, Membership.user_id == User.id)
                                 .join(Group, Group.id == Membership.group_id)
                                 .where(Group.code == group, User.active.is_(True)).order_by(User.username))
    return [(name, shown or name) for name, shown in rows]


def _header_counts(username: str | None) -> tuple[int, int]:
    """(督办单 waiting for this user's reply, unread 通知): the header shows both, asked in one statement."""
    if not username:
        return 0, 0
    row = ctx.session().execute(_HEADER_COUNTS, {"o_user": username, "n_user": username}).one()
    return int(row[0] or 0), int(row[1] or 0)


_HEADER_COUNTS = select(
    select(func.count()).select_from(SupervisionOrder).where(
        SupervisionOrder.addressee == bindparam("o_user"),
        SupervisionOrder.status.in_(("open", "overdue"))).scalar_subquery(),
    notify.unread_query().scalar_subquery())


def _page_context() -> dict[str, Any]:
    user = getattr(g, "user", None)
    name = getattr(user, "username", None)
    open_orders, unread_notices = _header_counts(name)
    return {"current_username": name, "lang": ctx.lang(), "pickers": _LazyPickers(),
            "open_orders": open_orders, "unread_notices": unread_notices}


class _LazyPickers(dict):  # type: ignore[type-arg]
    """Loaded on first use, so list pages pay nothing for it."""

    def __missing__(self, key: str) -> list[tuple[str, str]]:
        if key.startswith("user:"):  # "user:doc_signer": members of that group only
            self[key] = _members_picker(key.removeprefix("user:"))
        else:
            self.update(_pickers())
        return dict.__getitem__(self, key)

    def __bool__(self) -> bool:  # not loaded yet is not the same as empty: templates test `if pickers`
        return True


def init_app(app: Flask, protect: Any) -> None:
    """`protect(blueprint, predicate)` is the one role check each blueprint gets."""
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(deadline, "deadline")
    for name in ("person", "person_unit", "status", "event", "group", "yes_no", "unit", "shown", "in_language", "party"):
        app.add_template_filter(getattr(labels, name), name)
    for name in ("severity", "explain", "element"):
        app.add_template_filter(getattr(problem_words, name), f"problem_{name}")
    app.context_processor(_page_context)
    rules = {inbox_bp: lambda session, username: True, instances_bp: lambda session, username: True,
             notices_bp: lambda session, username: True,
             # Roles come from group membership only: a department coded 'admin' grants nothing.
             designer_bp: lambda session, username: bool({"designer", "admin"} & directory.member_groups(session, username)),
             supervision_bp: lambda session, username: bool(SUPERVISORS & directory.member_groups(session, username)),
             admin_bp: lambda session, username: directory.is_admin(session, username)}
    for bp, rule in rules.items():
        if not getattr(bp, "govflow_protected", False):  # blueprints are shared by every app built
            protect(bp, rule)
            bp.govflow_protected = True  # type: ignore[attr-defined]
        app.register_blueprint(bp)
    app.register_blueprint(portal_bp)  # public: citizens and companies have no login
