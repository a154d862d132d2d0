"""Inbox lists (待办, 已办, 抄送, 我发起) and the task page with its form."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from engine.core import audit
from engine.core.errors import Conflict, InvalidInput
from engine.flow import access, attachments, form_refs, forms, instances, task_actions, tasks
from engine.flow.models import HumanTask
from engine.gov import case_view, extensions
from webapp import web_context as ctx
from webapp.inbox import bp, mailbox_queries, queries
from webapp.inbox.queries import InboxFilter

FORMS_DIR = Path(__file__).resolve().parent.parent.parent / "forms"
TABS = ("todo", "done", "copies", "started")


def _filter(args: MultiDict[str, str], default_sort: str = "due") -> InboxFilter:
    """Query-string filters; anything malformed is ignored rather than failing the list."""
    due = None
    if args.get("due_before"):
        try:
            due = date.fromisoformat(args["due_before"])
        except ValueError:
            flash("截止日期格式应为 YYYY-MM-DD / due date must be YYYY-MM-DD", "error")
    try:
        page = max(int(args.get("page", "1")), 1)
    except ValueError:
        page = 1
    sort = args.get("sort", default_sort)
    return InboxFilter(process=args.get("process") or None, department=args.get("department") or None,
                       due_before=due, warning=args.get("warning") or None, text=args.get("q") or None,
                       sort=sort if sort in queries.SORTS else default_sort, descending=args.get("desc") == "1",
                       page=page, unread_only=args.get("unread") == "1")


@bp.get("/")
def index() -> Any:
    tab = request.args.get("tab", "todo")
    if tab not in TABS:
        abort(404)
    session, user = ctx.session(), ctx.actor()
    f = _filter(request.args, "created" if tab in ("done", "started") else "due")
    if tab in ("done", "started") and "sort" not in request.args:
        f.descending = True
    if tab == "todo":
        page = queries.todo(session, user, f, ctx.now())
    else:
        page = {"done": queries.done, "copies": queries.copies, "started": queries.started}[tab](session, user, f)
    unfiltered = tab == "todo" and f == queries.InboxFilter(sort=f.sort, descending=f.descending, page=f.page)
    counts = queries.counts(session, user, page.total if unfiltered else None, ctx.now())
    return render_template("inbox/list.html", tab=tab, page=page, f=f, counts=counts,
                           processes=queries.processes(session), args=request.args,
                           show_mailbox=mailbox_queries.handles_letters(session, user),
                           extension_requests=extensions.pending_count(session, user))


def _visible_task(task_id: str) -> HumanTask:
    """The task if the user may work it or see its case; otherwise 404 (no hint that it exists)."""
    session, user = ctx.session(), ctx.actor()
    row = session.get(HumanTask, task_id)
    if row is None:
        abort(404)
    inst = instances.get(session, row.instance_id)
    if not (tasks.may_work(session, row, user) or access.may_view(session, user, inst, ctx.now())):
        abort(404)
    return row


def task_context(row: HumanTask, errors: dict[str, list[str]] | None = None,
                 values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the task page shows: form, earlier opinions, files, clocks, allowed operations."""
    session, user, now = ctx.session(), ctx.actor(), ctx.now()
    inst = instances.get(session, row.instance_id)
    definition = forms.find_form(FORMS_DIR, row.form_key, ctx.session()) if row.form_key else None
    data = instances.current_data(session, inst, now) if inst.status == instances.RUNNING else {}
    previous = (row.properties or {}).get("previous_submission") or {}
    may_work, on_behalf_of = tasks.works_as(session, row, user, now)
    targets = task_actions.send_back_targets(session, now, row.id) if may_work else []
    if values is None:
        values = forms.prefill(definition, data, previous) if definition is not None else {}
    files = attachments.of_instance(session, inst.id)
    return {
        "row": row, "inst": inst, "definition": definition, "data": data, "values": values,
        "on_behalf_of": on_behalf_of,
        "shown": forms.display_items(definition, data, ctx.lang()),
        "errors": errors or {}, "may_work": may_work, "targets": targets,
        "opinions": [e for e in audit.trail(session, inst.id) if e.opinion],
        "files": files, "file_names": {a.id: a.filename for a in files},
        "clocks": case_view.clock_views(session, inst.id),
        "delegation": (row.properties or {}).get("delegation"),
        "delegate_result": (row.properties or {}).get("delegate_result"),
        "is_signer": (row.properties or {}).get("item") is not None,
        "signer_options": (task_actions.signer_options(session, now, row.id)
                           if may_work and (row.properties or {}).get("item") is not None else []),
    }


@bp.get("/tasks/<task_id>")
def task_page(task_id: str) -> Any:
    return render_template("inbox/task.html", **task_context(_visible_task(task_id)))


def _raw_submission() -> dict[str, Any]:
    """Form fields as the loader expects them: repeated names become lists."""
    raw: dict[str, Any] = {}
    for key in request.form:
        if key in ("csrf_token", "opinion_text"):
            continue
        values = request.form.getlist(key)
        raw[key] = values if len(values) > 1 else values[0]
    return raw


def _store_files(row: HumanTask, definition: Any, raw: dict[str, Any]) -> None:
    """Uploads of file fields become attachment ids in the submission (kept only if the step commits)."""
    for field in getattr(definition, "fields", []):
        if getattr(field, "type", None) != "file":
            continue
        ids = [a.id for a in (attachments.store(ctx.session(), ctx.actor(), ctx.now(), f.filename, f.read(),
                                                instance_id=row.instance_id, task_id=row.id,
                                                accept=getattr(field, "accept", None) or None)
                              for f in request.files.getlist(field.name) if f and f.filename)]
        kept = [int(v) for v in request.form.getlist(field.name + "_keep") if v.isdigit()]
        raw.pop(field.name + "_keep", None)  # the files an earlier round attached and the user kept
        if ids or kept:
            raw[field.name] = kept + ids


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> Any:
    row = _visible_task(task_id)
    definition = forms.find_form(FORMS_DIR, row.form_key, ctx.session()) if row.form_key else None
    raw = _raw_submission()
    try:
        if definition is not None:
            _store_files(row, definition, raw)
            data = forms.validate_submission(definition, raw, ctx.lang())
            form_refs.check_references(ctx.session(), definition, data, ctx.lang())
            opinion_name = forms.opinion_field(definition)
            opinion = str(data.get(opinion_name) or "") if opinion_name else ""
        else:
            data, opinion = {}, (request.form.get("opinion_text") or "").strip()
        tasks.complete(ctx.session(), ctx.actor(), ctx.now(), task_id, data, opinion or None)
    except InvalidInput as exc:
        ctx.rollback()
        return render_template("inbox/task.html", **task_context(_visible_task(task_id), _by_field(definition, exc),
                                                                  raw)), 400
    except Conflict as exc:  # done by someone else meanwhile, claimed first, case ended
        ctx.rollback()
        return render_template("inbox/task.html", **task_context(_visible_task(task_id), {"_": [str(exc)]},
                                                                  raw)), 409
    name = row.name  # read before the commit expires the row: the flash needs no second query
    ctx.commit()
    flash(f"「{name}」已办理 / done", "success")
    return redirect(url_for("inbox.index"))


def _by_field(definition: Any, exc: InvalidInput) -> dict[str, list[str]]:
    """Errors beside the fields they name; one naming no field of the form is shown above it, never lost."""
    errors = getattr(exc, "errors", None) or {exc.field or "_": [str(exc)]}
    names = {f.name for f in getattr(definition, "fields", [])}
    placed: dict[str, list[str]] = {}
    for name, messages in errors.items():
        placed.setdefault(name if name in names else "_", []).extend(messages)
    return placed
