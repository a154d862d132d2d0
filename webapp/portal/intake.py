"""Starting the process of a submission already committed (again, for those whose start failed: see
`govflow portal retry`): whatever breaks in the engine, what the citizen sent stays recorded."""

from __future__ import annotations

import logging

from engine.gov import portal
from webapp import web_context as ctx

log = logging.getLogger("govflow.portal")


def start_kept(kind: str, ident: int) -> bool:
    """Start it in its own transaction; on any failure roll that back, note the reason, keep it pending."""
    session, now = ctx.session(), ctx.now()
    try:
        started = portal.start_pending(session, now, kind, ident)
        ctx.commit()
        return started
    except Exception as exc:  # whatever broke, the submission itself is committed and must stay usable
        ctx.rollback()
        log.warning("portal: starting %s %s failed: %s", kind, ident, exc, exc_info=True)
        _note(kind, ident, f"{type(exc).__name__}: {exc}")
        return False


def _note(kind: str, ident: int, error: str) -> None:
    """Best effort: if even this fails, the submission is still pending and the retry finds it."""
    try:
        portal.note_start_failure(ctx.session(), ctx.now(), kind, ident, error)
        ctx.commit()
    except Exception:  # the database itself may be what failed
        ctx.rollback()
        log.exception("portal: could not record the failed start of %s %s", kind, ident)


def still_pending(kind: str, ident: int) -> bool:
    record = portal.kept(ctx.session(), kind, ident)
    return record is not None and record.instance_id is None
