"""Authorised deputies: while a person is away, a named deputy may act on their tasks, and the trail says so."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.clock import as_utc, to_db
from engine.core.errors import Forbidden, InvalidInput, NotFound
from engine.org.directory import find_user, is_admin
from engine.org.models import Deputyship

MAX_DAYS = 366


def grant(session: Session, actor: str, now: datetime, principal: str, deputy: str, starts_at: datetime,
          ends_at: datetime, reason: str) -> Deputyship:
    """The person themselves or an administrator names a deputy for a period, with a reason."""
    if actor != principal and not is_admin(session, actor):
        raise Forbidden(f"只有{principal}本人或管理员可以为其指定代理人 / only {principal} or an administrator "
                        f"may name a deputy for {principal}")
    for field, name in (("principal", principal), ("deputy", deputy)):
        user = find_user(session, name) if name else None
        if user is None:
            raise InvalidInput(f"没有用户「{name}」/ no user named '{name}'", field=field)
        if field == "deputy" and not user.active:
            raise InvalidInput(f"「{name}」的账号已停用 / {name}'s account is disabled", field=field)
    if principal == deputy:
        raise InvalidInput("代理人不能是本人 / a person cannot be their own deputy", field="deputy")
    start, end = as_utc(starts_at), as_utc(ends_at)
    if end <= start:
        raise InvalidInput("结束时间须晚于开始时间 / the period must end after it starts", field="ends_at")
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(f"代理期限最长 {MAX_DAYS} 天，期满后可重新授权 / a deputyship lasts at most {MAX_DAYS} "
                           "days; grant a new one after that", field="ends_at")
    if not (reason or "").strip():
        raise InvalidInput("请写明代理原因（如 出差、休假）/ say why the deputy acts", field="reason")
    row = Deputyship(principal=principal, deputy=deputy, starts_at=to_db(start), ends_at=to_db(end),
                     reason=reason.strip(), granted_by=actor, granted_at=to_db(now))
    session.add(row)
    session.flush()
    audit.record(session, "deputy_granted", actor, now,
                 detail={"principal": principal, "deputy": deputy, "from": start.isoformat(),
                         "until": end.isoformat(), "reason": row.reason})
    return row


def revoke(session: Session, actor: str, now: datetime, deputyship_id: int) -> Deputyship:
    row = session.get(Deputyship, deputyship_id)
    if row is None:
        raise NotFound(f"没有编号为 {deputyship_id} 的授权代理 / deputyship {deputyship_id} does not exist")
    if actor != row.principal and not is_admin(session, actor):
        raise Forbidden(f"只有{row.principal}本人或管理员可以撤销 / only {row.principal} or an administrator "
                        "may end this deputyship")
    if row.revoked_at is None:
        row.revoked_at = to_db(now)
        audit.record(session, "deputy_revoked", actor, now,
                     detail={"principal": row.principal, "deputy": row.deputy})
    session.flush()
    return row


def listing(session: Session, now: datetime, current_only: bool = False, limit: int = 200) -> list[Deputyship]:
    """Deputyships for the administrators' page: current and future ones first, then ended ones."""
    query = select(Deputyship)
    if current_only:
        query = query.where(Deputyship.revoked_at.is_(None), Deputyship.ends_at > to_db(now))
    return list(session.scalars(query.order_by(Deputyship.revoked_at.is_not(None), Deputyship.ends_at <= to_db(now),
                                               Deputyship.starts_at.desc(), Deputyship.id.desc()).limit(limit)))


def principals(session: Session, deputy: str, now: datetime) -> list[str]:
    """People the user may act for at this moment."""
    return list(session.scalars(_PRINCIPALS, {"d_user": deputy, "d_now": to_db(now)}))


_PRINCIPALS = (select(Deputyship.principal).where(
    Deputyship.deputy == bindparam("d_user"), Deputyship.revoked_at.is_(None),
    Deputyship.starts_at <= bindparam("d_now"), Deputyship.ends_at > bindparam("d_now"))
    .distinct().order_by(Deputyship.principal))
