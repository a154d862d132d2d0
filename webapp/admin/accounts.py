"""Accounts: list, create, edit (department, groups, e-mail, enabled, password reset) and delete unused ones."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from engine.core.errors import InvalidInput
from engine.ops import accounts
from engine.org import directory, roles
from webapp import web_context as ctx
from webapp.admin import PER_PAGE, bp, departments, page_count, page_number, refuse


def _list_context() -> dict[str, Any]:
    page, text = page_number(), request.args.get("q", "")
    people, total = accounts.people(ctx.session(), text, PER_PAGE, (page - 1) * PER_PAGE)
    return {"people": people, "total": total, "page": page, "pages": page_count(total),
            "departments": departments(), "q": text}


@bp.get("/users")
def users() -> Any:
    return render_template("admin/users.html", errors={}, values={}, **_list_context())


@bp.post("/users")
def create_user() -> Any:
    form = request.form
    try:
        user = accounts.create(ctx.session(), ctx.actor(), ctx.now(), form.get("username", ""),
                               display_name=form.get("display_name", ""), department=form.get("department") or None,
                               groups=form.get("groups", ""), email=form.get("email"),
                               password=form.get("password") or None)
    except InvalidInput as exc:
        ctx.rollback()
        return refuse(exc, "admin/users.html", **_list_context())
    ctx.commit()
    flash(f"已创建用户 {user.username} / user created", "success")
    return redirect(url_for("admin.edit_user", username=user.username))


def _edit_context(username: str) -> dict[str, Any]:
    session = ctx.session()
    user = directory.get_user(session, username)
    rights = roles.rights(session, username)
    return {"user": user, "groups": [r.code for r in rights if r.source == "local"], "rights": rights,
            "departments": departments()}


@bp.get("/users/<username>")
def edit_user(username: str) -> Any:
    return render_template("admin/user.html", errors={}, values={}, **_edit_context(username))


@bp.post("/users/<username>")
def update_user(username: str) -> Any:
    form = request.form
    try:
        accounts.update(ctx.session(), ctx.actor(), ctx.now(), username, display_name=form.get("display_name", ""),
                        department=form.get("department") or None, groups=form.get("groups", ""),
                        email=form.get("email"), active=form.get("active") == "1", password=form.get("password") or None)
    except InvalidInput as exc:
        ctx.rollback()
        return refuse(exc, "admin/user.html", **_edit_context(username))
    ctx.commit()
    flash(f"已保存 {username} / saved", "success")
    return redirect(url_for("admin.edit_user", username=username))


@bp.post("/users/<username>/sign-out")
def sign_out_user(username: str) -> Any:
    accounts.sign_out_everywhere(ctx.session(), ctx.actor(), ctx.now(), username)
    ctx.commit()
    flash(f"{username} 已在所有设备上退出登录 / signed out everywhere", "success")
    return redirect(url_for("admin.edit_user", username=username))


@bp.post("/users/<username>/delete")
def delete_user(username: str) -> Any:
    try:
        accounts.remove(ctx.session(), ctx.actor(), ctx.now(), username)
    except InvalidInput as exc:
        ctx.rollback()
        return refuse(exc, "admin/user.html", **_edit_context(username))
    ctx.commit()
    flash(f"已删除用户 {username} / user deleted", "success")
    return redirect(url_for("admin.users"))
