"""The mayor's-mailbox folders clerks know (待办理, 流程追踪, 未处理, 不予受理, 审理完成, 回收站, 抄送夹, 全部来信)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import mailbox
from engine.models_gov import Letter
from engine.org import group_codes
from webapp import web_context as ctx
from webapp.inbox import bp

# Who sees every letter; anyone else (a department clerk handling a letter) sees only 待办理 and 抄送夹.
MAILBOX_STAFF = {"mailbox_clerk", "city_leader", "supervisor", "admin"}
ORDER = ("todo", "handling", "new", "rejected", "done", "recycle", "copies", "all")
LABELS = {"todo": "待办理", "copies": "抄送夹", "all": "全部来信", **mailbox.FOLDERS}
PER_PAGE = 20


def folders_for(session: Session, username: str) -> list[str]:
    return list(ORDER) if group_codes(session, username) & MAILBOX_STAFF else ["todo", "copies"]


@bp.get("/mailbox")
def letters() -> Any:
    session, user = ctx.session(), ctx.actor()
    allowed = folders_for(session, user)
    folder = request.args.get("folder", "todo")
    if folder not in allowed:
        abort(404)
    try:
        page = max(int(request.args.get("page", "1")), 1)
    except ValueError:
        page = 1
    query = mailbox.folder_query(session, user, folder, request.args.get("q"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Letter.submitted_at.desc(), Letter.id.desc())
                           .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    counts = mailbox.folder_counts(session, user)
    return render_template("inbox/letters.html", folder=folder, folders=allowed, labels=LABELS, counts=counts,
                           rows=rows, total=total, page=page, pages=max(1, -(-total // PER_PAGE)),
                           q=request.args.get("q", ""), categories=mailbox.CATEGORIES)
