"""Supervision blueprint (电子监察) for supervisors and leaders: live clocks, warnings, orders, reports.

The role check on `bp` is installed by webapp.pages. Addressees of a supervision order are usually not
supervisors, so the order page and their reply live on a sibling blueprint, `orders_bp`, registered
together with `bp`: it needs only a login, and every view checks the order itself.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from webapp.security import protect

bp: Blueprint = Blueprint("supervision", __name__, url_prefix="/supervision")

from webapp.supervision import orders, views  # noqa: E402,F401  (routes register on bp)
from webapp.supervision.orders import orders_bp  # noqa: E402


def _with_orders(state: BlueprintSetupState) -> None:
    """Wherever the supervision pages go, the addressees' order pages go too."""
    if orders_bp.name not in state.app.blueprints:
        state.app.register_blueprint(orders_bp)


def _logged_in(session: Any, username: str) -> bool:
    return True


if not getattr(orders_bp, "govflow_protected", False):  # a login for every page; each view checks the order
    protect(orders_bp, _logged_in)
    orders_bp.govflow_protected = True  # type: ignore[attr-defined]
bp.record_once(_with_orders)
