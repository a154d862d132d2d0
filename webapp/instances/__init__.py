"""Instance pages: the case with its live diagram, open steps, clocks and the full trail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for

from engine.clocks import lifecycle
from engine.core.errors import EngineError, NotFound
from engine.flow import access, attachments, incidents, instances, tasks
from engine.gov import case_view, duban
from engine.intake import diagram
from engine.org import directory
from webapp import web_context as ctx
from webapp.admin import parse_day
from webapp.inbox.actions import operation

bp = Blueprint("instances", __name__, url_prefix="/instances")


def diagram_svg(inst: Any, states: dict[str, str]) -> str | None:
    """The process drawn from its diagram data, or None (the page says why) when the file has none."""
    try:
        return diagram.render_svg(inst.process_version.file.content, inst.process_id, states=states)
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
        open_rows=[(r, tasks.may_work(session, r, user)) for r in open_rows],
        trail=case_view.trail(session, inst.id), clocks=clock_views,
        deadline_settable={v.clock.id for v in clock_views if duban.may_set_deadline(session, user, v.clock)},
        files=attachments.of_instance(session, inst.id), references=case_view.references(session, inst.id),
        data=instances.current_data(session, inst, now) if inst.status == instances.RUNNING else {},
        may_withdraw=bool(last) and last[-1].actor == user and inst.status == instances.RUNNING)


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
    duban.set_deadline(session, user or "", now, clock.id, parse_day(request.form.get("due_date"), "due_date"),
                       request.form.get("reason") or "")
    return url_for("instances.show", instance_id=inst.id) + "#clocks"
