"""督办单 pages. Supervisors issue and list orders on the supervision blueprint; the order page, the reply
and the addressee's own list live on `orders_bp`, which only asks for a login and checks each order
(addressee, issuer or supervisor; anyone else gets 404), since addressees are not supervisors."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from engine.clocks import schedule as sched
from engine.core.errors import Conflict, InvalidInput, NotFound
from engine.flow import access, instances
from engine.flow.models import Instance
from engine.gov import supervision as engine
from webapp import web_context as ctx
from webapp.supervision import bp, params, queries

orders_bp = Blueprint("supervision_orders", __name__, url_prefix="/supervision/orders")


def _form(name: str) -> str:
    return (request.form.get(name) or "").strip()


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@bp.get("/orders")
def orders() -> Any:
    """Every order, soonest deadline first, by status (open, overdue, replied, closed)."""
    f = params.order_filter(request.args)
    page = queries.orders(ctx.session(), f, ctx.now())
    args = {k: v for k, v in request.args.to_dict().items() if k != "page"}
    return render_template("supervision/orders.html", page=page, f=f, tab="orders", args=args, mine=False)


def _new_context(clock_id: int | None, instance_id: int | None, values: dict[str, Any],
                 errors: dict[str, list[str]]) -> dict[str, Any]:
    """The case (and clock) the order is about, and the form's values."""
    session, now = ctx.session(), ctx.now()
    row = queries.clock_row(session, clock_id, now) if clock_id is not None else None
    if clock_id is not None and row is None:
        abort(404)
    case_id = row["instance_id"] if row else instance_id
    inst = session.get(Instance, case_id) if case_id is not None else None
    if inst is None:
        abort(404)
    return {"row": row, "inst": inst, "values": values, "errors": errors, "tab": "orders",
            "departments": queries.departments(session), "clock_id": clock_id}


@bp.get("/orders/new")
def new_order() -> Any:
    """The form, proposing the clock's responsible person and a deadline five working days out."""
    clock_id, instance_id = _int(request.args.get("clock_id")), _int(request.args.get("instance_id"))
    context = _new_context(clock_id, instance_id, {}, {})
    row = context["row"]
    context["values"] = {"addressee": row["responsible"] if row else "", "department": "",
                         "due_date": engine.default_due_date(ctx.session(), ctx.now()).isoformat(), "demand": ""}
    return render_template("supervision/order_new.html", **context)


@bp.post("/orders")
def create_order() -> Any:
    """Issue it; a refusal shows the form again with the field at fault."""
    clock_id, instance_id = _int(request.form.get("clock_id")), _int(request.form.get("instance_id"))
    values = {k: _form(k) for k in ("addressee", "department", "due_date", "demand")}
    try:
        due = _due_date(values["due_date"])
        order = engine.issue_order(ctx.session(), ctx.actor(), ctx.now(), demand=values["demand"], due_date=due,
                                   clock_id=clock_id, instance_id=instance_id, addressee=values["addressee"],
                                   department=values["department"], link=_link)
        order_id = order.id
    except InvalidInput as exc:
        ctx.rollback()
        errors = {exc.field or "_": [str(exc)]}
        return render_template("supervision/order_new.html",
                               **_new_context(clock_id, instance_id, values, errors)), 400
    ctx.commit()
    flash(f"督办单 {order_id} 已开具 / supervision order issued", "success")
    return redirect(url_for("supervision_orders.show", order_id=order_id))


def _link(order_id: int) -> str:
    return url_for("supervision_orders.show", order_id=order_id, _external=True)


def _due_date(raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"办理期限格式应为 YYYY-MM-DD：{raw} / the due date must be YYYY-MM-DD",
                           field="due_date") from None


@orders_bp.get("/mine")
def mine() -> Any:
    """督办件: the orders addressed to the logged-in user, those waiting for a reply first."""
    f = params.order_filter(request.args)
    f.addressee, f.issued_by = ctx.actor(), None
    f.status = f.status or "pending"
    page = queries.orders(ctx.session(), f, ctx.now())
    args = {k: v for k, v in request.args.to_dict().items() if k != "page"}
    return render_template("supervision/orders.html", page=page, f=f, tab="mine", args=args, mine=True)


def _visible(order_id: int) -> Any:
    try:
        return engine.visible_order(ctx.session(), ctx.actor(), order_id)
    except NotFound:
        abort(404)


@orders_bp.get("/<int:order_id>")
def show(order_id: int) -> Any:
    session, user, now = ctx.session(), ctx.actor(), ctx.now()
    order = _visible(order_id)
    status = engine.effective_status(order, now)
    inst = session.get(Instance, order.instance_id) if order.instance_id else None
    supervises = engine.may_supervise(session, user)
    return render_template(
        "supervision/order.html", order=order, status=status, inst=inst, supervises=supervises,
        last_day=sched.last_day(order.due_at),
        row=queries.clock_row(session, order.clock_id, now) if order.clock_id else None,
        may_view_case=inst is not None and access.may_view(session, user, inst, now),
        may_reply=user == order.addressee and status in (engine.OPEN, engine.OVERDUE),
        may_close=(user == order.issued_by or supervises) and status != engine.CLOSED,
        running=inst is not None and inst.status == instances.RUNNING, tab="orders" if supervises else "mine")


def _operate(order_id: int, action: Any, done: str) -> Any:
    """Run one order operation: commit and say so, or roll back and show the engine's reason."""
    _visible(order_id)
    try:
        action()
    except (InvalidInput, Conflict) as exc:
        ctx.rollback()
        flash(str(exc), "error")
    else:
        ctx.commit()
        flash(done, "success")
    return redirect(url_for("supervision_orders.show", order_id=order_id))


@orders_bp.post("/<int:order_id>/reply")
def reply(order_id: int) -> Any:
    return _operate(order_id, lambda: engine.reply_order(ctx.session(), ctx.actor(), ctx.now(), order_id,
                                                         _form("reply")), "已回复 / replied")


@orders_bp.post("/<int:order_id>/close")
def close(order_id: int) -> Any:
    return _operate(order_id, lambda: engine.close_order(ctx.session(), ctx.actor(), ctx.now(), order_id,
                                                         _form("note")), "督办单已办结 / order closed")
