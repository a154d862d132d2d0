"""批量审批: a leader approves several waiting steps of the same kind with one opinion. Each step is
completed in its own transaction and validated like its own page would; the result page says, per
step, what happened: done, done by someone else first, or refused and why. Nothing is half done."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from engine.core.errors import Conflict, EngineError, Forbidden, InvalidInput, NotFound
from engine.flow import form_refs, forms, tasks
from engine.flow.models import HumanTask
from webapp import web_context as ctx
from webapp.inbox import bp
from webapp.inbox.views import FORMS_DIR

MAX_TASKS = 100


def _outcome(task_id: str, opinion: str) -> dict[str, Any]:
    """Complete one step and commit it, or roll it back and say why."""
    session, user, now = ctx.session(), ctx.actor(), ctx.now()
    row = session.get(HumanTask, task_id)
    name = row.name if row is not None else task_id
    try:
        if row is None:
            raise NotFound("该事项不存在 / the task does not exist")
        definition = forms.find_form(FORMS_DIR, row.form_key) if row.form_key else None
        values = forms.approval(definition, opinion)
        if values is None:
            raise InvalidInput("此环节的办理结果不能批量给出，请逐件办理 / this step decides more than approve or not: "
                               "work it on its own page")
        data = forms.validate_submission(definition, values, ctx.lang()) if definition is not None else {}
        if definition is not None:
            form_refs.check_references(session, definition, data, ctx.lang())
        tasks.complete(session, user, now, task_id, data, opinion or None)
        ctx.commit()
        return {"task_id": task_id, "name": name, "instance_id": row.instance_id, "result": "done"}
    except Conflict as exc:
        ctx.rollback()
        return {"task_id": task_id, "name": name, "result": "conflict", "reason": str(exc),
                "instance_id": getattr(row, "instance_id", None)}
    except (InvalidInput, Forbidden, NotFound, EngineError) as exc:
        ctx.rollback()
        return {"task_id": task_id, "name": name, "result": "refused", "reason": str(exc),
                "instance_id": getattr(row, "instance_id", None)}


@bp.post("/batch")
def batch_approve() -> Any:
    chosen = list(dict.fromkeys(request.form.getlist("task_id")))[:MAX_TASKS]
    opinion = (request.form.get("opinion") or "").strip()
    session = ctx.session()
    rows = [r for r in (session.get(HumanTask, t) for t in chosen) if r is not None]
    kinds = {(r.process_id, r.element_id) for r in rows}
    if not rows or len(kinds) != 1:
        message = ("请勾选同一环节的待办事项再批量审批 / choose waiting steps of one and the same kind to approve "
                   "them together" if rows else "请先勾选要批量审批的事项 / choose the steps to approve first")
        return render_template("inbox/batch.html", results=[], refused=message), 400
    found = {r.id for r in rows}
    results = [_outcome(task_id, opinion) for task_id in chosen if task_id in found]
    return render_template("inbox/batch.html", results=results, refused=None)
