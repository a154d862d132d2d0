"""Designer pages: upload BPMN, see problems with line and element, preview, deploy, versions, test runs."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select

from engine.core.errors import EngineError, InvalidDefinition, InvalidInput
from engine.flow import definitions, instances
from engine.flow.models import Instance, ProcessVersion
from engine.intake import diagram, dmn, lint
from webapp import web_context as ctx

bp = Blueprint("designer", __name__, url_prefix="/designer")
MAX_FILES = 20


def _uploads() -> list[tuple[str, bytes]]:
    files = [(f.filename or "unnamed.bpmn", f.read()) for f in request.files.getlist("files") if f and f.filename]
    if not files:
        raise InvalidInput("请选择至少一个 BPMN 文件 / choose at least one BPMN file", field="files")
    if len(files) > MAX_FILES:
        raise InvalidInput(f"一次最多 {MAX_FILES} 个文件 / at most {MAX_FILES} files at once", field="files")
    return files


def _versions() -> list[dict[str, Any]]:
    """Every version with its instances by status."""
    session = ctx.session()
    counts: dict[int, dict[str, int]] = {}
    for version_id, status, n in session.execute(
            select(Instance.process_version_id, Instance.status, func.count()).group_by(
                Instance.process_version_id, Instance.status)):
        counts.setdefault(version_id, {})[status] = n
    rows = session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version.desc()))
    return [{"v": v, "counts": counts.get(v.id, {})} for v in rows]


@bp.get("/")
def index() -> Any:
    return render_template("designer/index.html", versions=_versions(), report=None)


@bp.post("/check")
def check() -> Any:
    """Validate (and preview) without deploying; nothing is stored."""
    try:
        files = _uploads()
    except InvalidInput as exc:
        flash(str(exc), "error")
        return redirect(url_for("designer.index"))
    checked = definitions.check_batch(files)
    problems = checked.problems
    previews = []
    for name, tree in checked.bpmn.items():
        data = dict(files)[name]
        runs = set(lint.executable_process_ids(tree))
        drawn = diagram.drawn_diagrams(tree)
        for element_id, title in drawn:
            previews.append({"file": name, "process_id": element_id, "title": title,
                             "executable": element_id in runs, "svg": _preview(data, element_id)})
        if not drawn:
            previews.append({"file": name, "process_id": None, "title": "", "executable": bool(runs), "svg": None})
    status = 400 if any(p.severity == "error" for p in problems) else 200
    return render_template("designer/index.html", versions=_versions(),
                           report={"files": [n for n, _ in files], "problems": problems, "previews": previews,
                                   "forms": _form_rows(checked), "decisions": _decision_rows(checked)}), status


FORM_SOURCES = {"camunda-form-data": "Camunda 表单字段（formData）", "form-property": "Activiti/Flowable 表单属性",
                "camunda-forms": "Camunda Forms 表单", "spiff-json-schema": "SpiffArena JSON 表单",
                "generic": "通用表单（按其后条件读取的变量生成）"}


def _form_rows(checked: Any) -> list[dict[str, Any]]:
    """Which form each task will use, with the fields and the ids given safe variable names."""
    rows = []
    for filename, plans in checked.forms.items():
        for plan in plans.values():
            choice = definitions.chosen_form(plan)
            fields = [f for f in (plan.definition or {}).get("fields", []) if f.get("type") != "opinion"]
            rows.append({"file": filename, "task": plan.task_name, "element_id": plan.element_id, "choice": choice,
                         "source": plan.key if choice == "govflow" else FORM_SOURCES.get(plan.source, ""),
                         "fields": [] if choice == "govflow" else fields, "renamed": plan.renamed})
    return rows


def _decision_rows(checked: Any) -> list[dict[str, Any]]:
    rows = []
    for filename, tree in checked.dmn.items():
        for ident, decision in dmn.decisions(tree).items():
            table = next(iter(decision.iterfind("{*}decisionTable")), None)
            rows.append({"file": filename, "id": ident, "name": decision.get("name") or ident,
                         "policy": (table.get("hitPolicy") or "UNIQUE") if table is not None else "—",
                         "rules": len(table.findall("{*}rule")) if table is not None else 0})
    return rows


def _preview(data: bytes, process_id: str) -> str | None:
    try:
        return diagram.render_svg(data, process_id)
    except EngineError:
        return None


@bp.post("/deploy")
def deploy() -> Any:
    try:
        files = _uploads()
        result = definitions.deploy(ctx.session(), ctx.actor(), ctx.now(), files)
    except InvalidDefinition as exc:
        ctx.rollback()
        return render_template("designer/index.html", versions=_versions(),
                               report={"files": [], "problems": exc.problems, "previews": [], "forms": [],
                                       "decisions": [], "refused": str(exc)}), 400
    except InvalidInput as exc:
        ctx.rollback()
        flash(str(exc), "error")
        return redirect(url_for("designer.index"))
    ctx.commit()
    for p in result.processes:
        if p.new:
            flash(gettext("已发布“%(name)s”（%(id)s）第 %(version)s 版。", name=p.name or p.process_id,
                          id=p.process_id, version=p.version), "success")
        else:
            flash(gettext("“%(name)s”（%(id)s）内容未变，仍为第 %(version)s 版。", name=p.name or p.process_id,
                          id=p.process_id, version=p.version), "success")
    if result.problems:
        flash(gettext("发布时有 %(n)s 条提示，可在“检查并预览”中查看。", n=len(result.problems)), "info")
    return redirect(url_for("designer.index"))


@bp.post("/start/<process_id>")
def start_test(process_id: str) -> Any:
    """A test instance started by the designer, with optional JSON data."""
    raw = (request.form.get("data") or "").strip()
    try:
        data = json.loads(raw) if raw else {}
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except ValueError:
        flash('启动数据须为 JSON 对象，例如 {"days": 3} / start data must be a JSON object', "error")
        return redirect(url_for("designer.index"))
    try:
        inst = instances.start(ctx.session(), ctx.actor(), ctx.now(), process_id, data,
                               title=f"测试 / test: {process_id}")
    except EngineError as exc:
        ctx.rollback()
        flash(str(exc), "error")
        return redirect(url_for("designer.index"))
    ctx.commit()
    return redirect(url_for("instances.show", instance_id=inst.id))
