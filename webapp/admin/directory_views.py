"""统一身份: the last directory sync, which directory groups grant which roles (editable), and the open
work of people who left, each handed on to a colleague or given back to its candidate groups."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from engine.core.errors import InvalidInput
from engine.flow import task_actions
from engine.ops import directory_sync
from engine.org import roles
from webapp import web_context as ctx
from webapp.admin import bp, refuse

SUMMARY_WORDS = {"unit": "部门", "person": "人员", "group": "组"}
ACTION_WORDS = {"added": "新增", "changed": "变更", "moved": "调动", "disabled": "停用", "enabled": "恢复"}


def _context() -> dict[str, Any]:
    session = ctx.session()
    last = directory_sync.last_sync(session)
    summary = []
    if last is not None:
        for kind, counts in (last[1].get("summary") or {}).items():
            words = "、".join(f"{ACTION_WORDS.get(a, a)} {n}" for a, n in counts.items())
            summary.append(f"{SUMMARY_WORDS.get(kind, kind)}：{words}")
    return {"last_at": last[0] if last else None, "summary": summary,
            "problems": (last[1].get("problems") if last else 0) or 0,
            "mappings": roles.mappings(session), "directory_groups": roles.directory_groups(session),
            "role_choices": roles.role_choices(session), "left": directory_sync.leavers_work(session)}


@bp.get("/directory")
def directory_page() -> Any:
    return render_template("admin/directory.html", errors={}, values={}, failed=None, **_context())


@bp.post("/directory/mappings")
def add_mapping() -> Any:
    form = request.form
    try:
        roles.add_mapping(ctx.session(), ctx.actor(), ctx.now(), form.get("directory_group", ""), form.get("role", ""))
    except InvalidInput as exc:
        ctx.rollback()
        return refuse(exc, "admin/directory.html", failed=None, **_context())
    ctx.commit()
    flash("已添加角色映射 / role mapping added", "success")
    return redirect(url_for("admin.directory_page"))


@bp.post("/directory/mappings/<int:mapping_id>/delete")
def remove_mapping(mapping_id: int) -> Any:
    roles.remove_mapping(ctx.session(), ctx.actor(), ctx.now(), mapping_id)
    ctx.commit()
    flash("已删除角色映射 / role mapping removed", "success")
    return redirect(url_for("admin.directory_page"))


@bp.post("/directory/tasks/<task_id>/transfer")
def hand_on(task_id: str) -> Any:
    form = request.form
    try:
        task_actions.transfer(ctx.session(), ctx.actor(), ctx.now(), task_id, form.get("to_user", ""),
                              form.get("reason", "") or "原办理人已离开，由管理员转办")
    except InvalidInput as exc:
        ctx.rollback()
        return refuse(exc, "admin/directory.html", failed=task_id, **_context())
    ctx.commit()
    flash("已转办 / handed on", "success")
    return redirect(url_for("admin.directory_page"))


@bp.post("/directory/tasks/<task_id>/pool")
def back_to_pool(task_id: str) -> Any:
    try:
        directory_sync.return_to_pool(ctx.session(), ctx.actor(), ctx.now(), task_id)
    except InvalidInput as exc:
        ctx.rollback()
        return refuse(exc, "admin/directory.html", failed=task_id, **_context())
    ctx.commit()
    flash("已退回候选人池 / back to its candidates", "success")
    return redirect(url_for("admin.directory_page"))
