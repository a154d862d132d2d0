"""The mayor's-mailbox folders clerks know (待办理, 流程追踪, 未处理, 不予受理, 审理完成, 回收站, 抄送夹, 全部来信)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request

from engine.gov import mailbox
from webapp import web_context as ctx
from webapp.inbox import bp
from webapp.inbox import mailbox_queries as mq

PER_PAGE = 20


@bp.get("/mailbox")
def letters() -> Any:
    session, user = ctx.session(), ctx.actor()
    counts = mailbox.folder_counts(session, user)
    allowed = mq.folders_for(session, user, counts)
    if not allowed:
        abort(403, "市长信箱文件夹供来信经办人员使用，您没有待办或抄送的来信 / the mailbox folders are for the "
                   "staff handling letters; no letter waits for you or was copied to you")
    folder = request.args.get("folder", "todo")
    if folder not in allowed:
        abort(404)
    try:
        page = max(int(request.args.get("page", "1")), 1)
    except ValueError:
        page = 1
    text = request.args.get("q", "")
    rows, total = mq.folder_page(session, user, folder, text, page, PER_PAGE)
    steps = mq.open_steps(session, user, [row.instance_id for row in rows if row.instance_id])
    return render_template("inbox/letters.html", folder=folder, folders=allowed, counts=counts, rows=rows,
                           steps=steps, total=total, page=page, pages=max(1, -(-total // PER_PAGE)), q=text)
