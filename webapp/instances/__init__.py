"""Instance pages: the case with its live diagram, open steps, clocks and the full trail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template

from engine import access, attachments, instance_view, instances, tasks
from engine.errors import EngineError, NotFound
from webapp import web_context as ctx

bp = Blueprint("instances", __name__, url_prefix="/instances")


def diagram_svg(inst: Any, states: dict[str, str]) -> str | None:
    """The process drawn from its diagram data, or None (the page says why) when the file has none."""
    from engine import diagram

    try:
        return diagram.render_svg(inst.process_version.file.content, inst.process_id, states=states)
    except EngineError:
        return None


@bp.get("/<int:instance_id>")
def show(instance_id: int) -> Any:
    session, user, now = ctx.session(), ctx.actor(), ctx.now()
    try:
        inst = instances.get(session, instance_id)
    except NotFound:
        abort(404)
    if not access.may_view(session, user, inst, now):
        abort(404)  # no hint that the case exists
    states = instance_view.element_states(session, inst, now)
    open_rows = tasks.open_for_instance(session, inst.id)
    last = [e for e in instance_view.trail(session, inst.id) if e.action == "complete"]
    return render_template(
        "instances/show.html", inst=inst, svg=diagram_svg(inst, states), states=states,
        open_rows=[(r, tasks.may_work(session, r, user)) for r in open_rows],
        trail=instance_view.trail(session, inst.id), clocks=instance_view.clock_views(session, inst.id),
        files=attachments.of_instance(session, inst.id), references=instance_view.references(session, inst.id),
        data=instances.current_data(session, inst, now) if inst.status == instances.RUNNING else {},
        may_withdraw=bool(last) and last[-1].actor == user and inst.status == instances.RUNNING)
