"""统一身份认证: who a person signed in through the office's identity provider is here. The web edge
checks the provider's answer (state, PKCE, the ID token's signature, issuer, audience, expiry and
nonce); this module maps the verified claims to an account, links or creates it, and brings its name,
unit and identity-provider groups up to date, so changed groups give changed rights at the next login."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.errors import Forbidden, InvalidInput
from engine.org import directory, roles
from engine.org.models import Department, Group, Membership, User

ENV = "GOVFLOW_OIDC_"
CLAIM_KEYS = ("login", "name", "email", "unit", "groups", "link")
DEFAULT_CLAIMS = {"login": "preferred_username", "name": "name", "email": "email", "unit": "department",
                  "groups": "groups", "link": "preferred_username"}


@dataclass(frozen=True)
class SignOnSettings:
    issuer: str
    client_id: str
    client_secret: str | None = None
    claims: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CLAIMS))
    auto_create: bool = False
    local_passwords: bool = True
    scope: str = "openid profile email"


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(ENV + name) or "").strip().lower()
    if not raw:
        return default
    if raw not in ("0", "1", "true", "false", "yes", "no"):
        raise InvalidInput(f"{ENV}{name} 应为 1 或 0 / {ENV}{name} must be 1 or 0, not '{raw}'", field=ENV + name)
    return raw in ("1", "true", "yes")


def settings_from_env(env: Mapping[str, str]) -> SignOnSettings | None:
    """The provider's settings, or None where GOVFLOW_OIDC_ISSUER is not set (local passwords only)."""
    issuer = (env.get(ENV + "ISSUER") or "").strip().rstrip("/")
    if not issuer:
        return None
    if not issuer.startswith(("https://", "http://")):
        raise InvalidInput(f"{ENV}ISSUER 应为 https:// 地址 / {ENV}ISSUER must be the provider's https:// address, "
                           f"not '{issuer}'", field=ENV + "ISSUER")
    client_id = (env.get(ENV + "CLIENT_ID") or "").strip()
    if not client_id:
        raise InvalidInput(f"请设置 {ENV}CLIENT_ID / {ENV}CLIENT_ID is not set: the client id the provider gave "
                           "govflow", field=ENV + "CLIENT_ID")
    claims = dict(DEFAULT_CLAIMS)
    for item in (env.get(ENV + "CLAIMS") or "").replace("，", ",").split(","):
        if not item.strip():
            continue
        key, sep, claim = (part.strip() for part in item.partition("="))
        if not sep or key not in CLAIM_KEYS or not claim:
            raise InvalidInput(f"{ENV}CLAIMS 中的「{item.strip()}」应写作 名称=声明，名称为 {', '.join(CLAIM_KEYS)} 之一 / "
                               f"{ENV}CLAIMS: '{item.strip()}' should be NAME=claim with NAME one of "
                               f"{', '.join(CLAIM_KEYS)}", field=ENV + "CLAIMS")
        claims[key] = claim
    return SignOnSettings(issuer=issuer, client_id=client_id, client_secret=env.get(ENV + "CLIENT_SECRET") or None,
                          claims=claims, auto_create=_flag(env, "AUTO_CREATE", False),
                          local_passwords=_flag(env, "LOCAL_PASSWORDS", True),
                          scope=(env.get(ENV + "SCOPE") or "openid profile email").strip())


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return str(value).strip() or None if value is not None and not isinstance(value, (list, dict)) else None


def _groups(claims: Mapping[str, Any], name: str) -> list[str]:
    value = claims.get(name) or []
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
    return sorted({str(v).strip() for v in items if str(v).strip() and len(str(v).strip()) <= 128})


def sign_in(session: Session, now: datetime, settings: SignOnSettings, claims: Mapping[str, Any]) -> User:
    """The account of a verified ID token: found by the provider's subject, else linked by the stable
    claim on first login, else created when the office allows it; refused (with why) otherwise."""
    subject = _text(claims, "sub")
    if not subject:
        raise Forbidden("身份认证结果缺少用户标识（sub），无法登录 / the identity provider's answer has no subject")
    names = settings.claims
    user = session.scalar(select(User).where(User.oidc_subject == subject))
    if user is None:
        link = _text(claims, names["link"])
        candidate = directory.find_user(session, link) if link else None
        if candidate is not None and candidate.oidc_subject is None:
            user = candidate
            audit.record(session, "sign_on_linked", user.username, now, detail={"claim": names["link"]})
    if user is None:
        user = _create(session, now, settings, claims)
    if not user.active:
        raise Forbidden(f"账号 {user.username} 已停用，请联系管理员 / the account {user.username} is disabled")
    user.oidc_subject = subject
    _update(session, user, settings, claims)
    audit.record(session, "sign_on", user.username, now, detail={"issuer": settings.issuer})
    return user


def _create(session: Session, now: datetime, settings: SignOnSettings, claims: Mapping[str, Any]) -> User:
    login = _text(claims, settings.claims["login"])
    if not settings.auto_create:
        raise Forbidden(f"统一身份认证通过，但本系统没有为您（{login or '未知用户'}）开通账号，请联系管理员 / "
                        f"signed in at the identity provider, but govflow has no account for "
                        f"'{login or claims.get('sub')}' and does not create one; ask an administrator")
    if not login:
        raise Forbidden(f"身份认证结果缺少登录名（{settings.claims['login']}）/ the identity provider sent no "
                        f"'{settings.claims['login']}' claim to name the new account")
    user = directory.create_user(session, directory.check_username(login))
    audit.record(session, "sign_on_created", login, now, detail={"issuer": settings.issuer})
    return user


def _update(session: Session, user: User, settings: SignOnSettings, claims: Mapping[str, Any]) -> None:
    """Name, e-mail and unit as the provider says (when it says them), and its groups as memberships."""
    names = settings.claims
    user.display_name = _text(claims, names["name"]) or user.display_name or user.username
    user.email = _text(claims, names["email"]) or user.email
    unit = _text(claims, names["unit"])
    dept = session.scalar(select(Department).where(Department.code == unit)) if unit else None
    if dept is not None:
        user.department_id = dept.id
    if names["groups"] not in claims:
        return
    wanted = []
    for code in _groups(claims, names["groups"]):
        group = session.scalar(select(Group).where(Group.code == code))
        if group is None:
            group = Group(code=code, name=code, directory_key=roles.IDP_KEY + code)
            session.add(group)
            session.flush()
        if group.directory_key:  # a role assigned here is granted only through a mapping, never by a claim
            wanted.append(group.id)
    idp_groups = select(Group.id).where(Group.directory_key.is_not(None))
    session.execute(delete(Membership).where(Membership.user_id == user.id, Membership.source == "directory",
                                             Membership.group_id.in_(idp_groups),
                                             Membership.group_id.not_in(wanted or [-1])))
    have = set(session.scalars(select(Membership.group_id).where(Membership.user_id == user.id)))
    new = [{"user_id": user.id, "group_id": gid, "source": "directory"} for gid in wanted if gid not in have]
    if new:
        session.execute(insert(Membership), new)
    session.flush()
    roles.refresh(session)
