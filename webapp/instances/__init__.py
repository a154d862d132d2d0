"""Instance pages: the case with its live diagram, open steps, clocks and the full trail."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy import select

from engine.clocks import lifecycle
from engine.core.errors import EngineError, NotFound
from engine.flow import access, attachments, incidents, instances, task_actions, tasks
from engine.flow.models import CarbonCopy
from engine.gov import case_view, duban
from engine.intake import diagram
from engine.org import directory
from webapp import labels
from webapp import web_context as ctx
from webapp.admin import parse_day
from webapp.inbox.actions import operation

bp = Blueprint("instances", __name__, url_prefix="/instances")


_CODE_IN_BRACKETS = re.compile(r"\s*[(（]\s*[A-Za-z][\w.-]*\s*[)）]\s*$")
_CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def shown_names(xml: bytes, process_id: str) -> dict[str, str]:
    """What people read on the drawing: a lane named 综合受理窗口（zwfw_window）loses the code in brackets,
    a lane named by a bare group code shows the group's name."""
    shown = {}
    for ident, name in diagram.element_names(xml, process_id).items():
        if _CODE_IN_BRACKETS.search(name):
            shown[ident] = _CODE_IN_BRACKETS.sub("", name)
        elif _CODE.match(name):
            shown[ident] = labels.group(name)
    return shown


def diagram_svg(inst: Any, states: dict[str, str]) -> str | None:
    """The process drawn from its diagram data, or None (the page says why) when the file has none."""
    xml = inst.process_version.file.content
    try:
        return diagram.render_svg(xml, inst.process_id, states=states, labels=shown_names(xml, inst.process_id))
    except EngineError:
        return None


@bp.get("/incidents")
def incident_list() -> Any:
    """运行故障: steps that failed while running (scripts over the limits, unusable timers), all cases."""
    session, user = ctx.session(), ctx.actor()
    if not {"designer", "admin"} & directory.member_groups(session, user):
        abort(403)
    return render_template("instances/incidents.html", rows=incidents.latest(session))


@bp.get("/<int:instance_id>")
def show(instance_id: int) -> Any:
    session, user, now = ctx.session(), ctx.actor(), ctx.now()
    try:
        inst = instances.get(session, instance_id)
    except NotFound:
        abort(404)
    if not access.may_view(session, user, inst, now):
        abort(404)  # no hint that the case exists
    states = case_view.element_states(session, inst, now)
    open_rows = tasks.open_for_instance(session, inst.id)
    last = [e for e in case_view.trail(session, inst.id) if e.action == "complete"]
    clock_views = case_view.clock_views(session, inst.id)
    return render_template(
        "instances/show.html", inst=inst, svg=diagram_svg(inst, states), states=states,
        open_rows=[(r, tasks.works_as(session, r, user, now)[0]) for r in open_rows],
        removable={r.id for r in open_rows if task_actions.may_remove_signer(session, user, r)},
        trail=case_view.trail(session, inst.id), clocks=clock_views,
        deadline_settable={v.clock.id for v in clock_views if duban.may_set_deadline(session, user, v.clock)},
        files=attachments.of_instance(session, inst.id), references=case_view.references(session, inst.id),
        data=instances.current_data(session, inst, now) if inst.status == instances.RUNNING else {},
        may_withdraw=bool(last) and last[-1].actor == user and inst.status == instances.RUNNING,
        copies=_copies_seen_by(session, user, inst))


def _copies_seen_by(session: Any, user: str, inst: Any) -> list[CarbonCopy]:
    """抄送 of this case with who has read them and when: a sender sees their own copies, the case's
    starter and administrators every copy."""
    query = select(CarbonCopy).where(CarbonCopy.instance_id == inst.id)
    if user != inst.started_by and not directory.is_admin(session, user):
        query = query.where(CarbonCopy.sender == user)
    return list(session.scalars(query.order_by(CarbonCopy.created_at, CarbonCopy.id)))


@bp.post("/<int:instance_id>/clocks/<int:clock_id>/deadline")
@operation("督办时限已调整 / deadline changed")
def set_deadline(instance_id: int, clock_id: int) -> str:
    """督办: the instructing leader or supervision staff give one department's step its own date."""
    session, user, now = ctx.session(), ctx.actor(), ctx.now()
    try:
        inst = instances.get(session, instance_id)
        clock = lifecycle.get_clock(session, clock_id)
    except NotFound:
        abort(404)
    if clock.instance_id != inst.id or not access.may_view(session, user, inst, now):
        abort(404)
    duban.set_deadline(session, user or "", now, clock.id, parse_day(request.form.get("due_date"), "due_date", "新截止日期"),
                       request.form.get("reason") or "")
    return url_for("instances.show", instance_id=inst.id) + "#clocks"
