"""Organisation: departments (a tree), users, groups and memberships that task candidates resolve to."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import bindparam, event, literal, select, union_all
from sqlalchemy.orm import Session

from engine.core.errors import Conflict, InvalidInput, NotFound
from engine.org.models import Department, Group, Membership, User

ADMIN_GROUP = "admin"
_ITERATIONS = 260_000


def hash_password(password: str) -> str:
    """PBKDF2-SHA256 from the standard library (the engine may not import werkzeug)."""
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), _ITERATIONS).hex()
    return f"pbkdf2_sha256${_ITERATIONS}${salt}${digest}"


def check_password(stored: str | None, password: str) -> bool:
    if not stored or stored.count("$") != 3:
        return False
    _, iterations, salt, digest = stored.split("$")
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(candidate, digest)


def end_sessions(user: User) -> int:
    """Sign the user out everywhere: every session cookie issued so far stops working."""
    user.session_generation = (user.session_generation or 0) + 1
    return user.session_generation


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"没有用户名为“{username}”的人员 / no user named '{username}'")
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def find_user_and_unit(session: Session, username: str) -> tuple[User, str | None] | None:
    """The account and its department's name in one round trip (every page shows both in its header)."""
    row = session.execute(_USER_AND_UNIT, {"u_name": username}).first()
    return (row[0], row[1]) if row is not None else None


# Built once: a statement object built per call costs more in construction and cache-key work than
# the database spends running it.
_USER_AND_UNIT = (select(User, Department.name).outerjoin(Department, Department.id == User.department_id)
                  .where(User.username == bindparam("u_name")))


def ensure_department(session: Session, code: str, name: str | None = None,
                      parent_code: str | None = None) -> Department:
    """Create a department if missing; the code is its stable key."""
    dept = session.scalar(select(Department).where(Department.code == code))
    if dept is None:
        parent = ensure_department(session, parent_code) if parent_code else None
        dept = Department(code=code, name=name or code, parent_id=parent.id if parent else None)
        session.add(dept)
        session.flush()
    elif name and dept.name != name:
        dept.name = name
    return dept


def ensure_group(session: Session, code: str, name: str | None = None) -> Group:
    group = session.scalar(select(Group).where(Group.code == code))
    if group is None:
        group = Group(code=code, name=name or code)
        session.add(group)
        session.flush()
    return group


def check_username(username: str) -> str:
    """A login name people can type and the trail can show: 1-64 characters, no spaces."""
    name = (username or "").strip()
    if not name or any(ch.isspace() for ch in name) or len(name) > 64:
        raise InvalidInput("用户名须为 1-64 个字符且不含空格 / a user name must be 1-64 characters without spaces",
                           field="username")
    return name


def create_user(session: Session, username: str, *, password: str | None = None,
                groups: list[str] | tuple[str, ...] = (), department: str | None = None,
                display_name: str | None = None, email: str | None = None) -> User:
    """Create a user with groups and a department; both are created on first mention."""
    username = check_username(username)
    if find_user(session, username) is not None:
        raise Conflict(f"用户名「{username}」已被使用 / user '{username}' already exists")
    dept = ensure_department(session, department) if department else None
    user = User(username=username, display_name=display_name or username, email=email,
                password_hash=hash_password(password) if password else None,
                department_id=dept.id if dept else None)
    session.add(user)
    session.flush()
    for code in groups:
        add_to_group(session, user, code)
    return user


def add_to_group(session: Session, user: User, code: str) -> None:
    session.info.pop("govflow_group_codes", None)
    group = ensure_group(session, code)
    exists = session.get(Membership, (user.id, group.id))
    if exists is None:
        session.add(Membership(user_id=user.id, group_id=group.id))
        session.flush()


def group_codes(session: Session, username: str) -> set[str]:
    """Codes of the user's groups plus their department code (lanes may name a department)."""
    groups, department = _memberships(session, username)
    return set(groups | department)


def member_groups(session: Session, username: str) -> frozenset[str]:
    """Only the groups the user belongs to: what grants a role (a department code never does)."""
    return _memberships(session, username)[0]


_MEMBERSHIPS = union_all(
    select(Group.code, literal(False)).join(Membership, Membership.group_id == Group.id)
    .join(User, User.id == Membership.user_id).where(User.username == bindparam("m_user")),
    select(Department.code, literal(True)).join(User, User.department_id == Department.id)
    .where(User.username == bindparam("m_user")))


def _memberships(session: Session, username: str) -> tuple[frozenset[str], frozenset[str]]:
    """(group codes, department code) kept apart, so a department that happens to be coded like a
    group (e.g. 'admin') matches candidates but never grants a group's rights; remembered for the
    rest of the transaction, since a request checks the same user several times."""
    cache = session.info.setdefault("govflow_group_codes", {})
    if username in cache:
        return cache[username]
    # One round trip for both: this runs on every permission check.
    rows = [(code, bool(is_dept)) for code, is_dept in session.execute(_MEMBERSHIPS, {"m_user": username}) if code]
    found = (frozenset(c for c, is_dept in rows if not is_dept), frozenset(c for c, is_dept in rows if is_dept))
    cache[username] = found
    return found


@event.listens_for(Session, "after_transaction_end")
def _forget_group_codes(session: Session, transaction: Any) -> None:
    """Memberships may change between transactions."""
    if transaction.parent is None:
        session.info.pop("govflow_group_codes", None)


def is_admin(session: Session, username: str | None) -> bool:
    """Membership of the 'admin' group; a department code never counts."""
    return bool(username) and ADMIN_GROUP in _memberships(session, username or "")[0]


def group_members(session: Session, code: str) -> list[User]:
    """Users in a group, by user name."""
    return list(session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                                .join(Group, Group.id == Membership.group_id).where(Group.code == code)
                                .order_by(User.username)))


HEAD_GROUPS = ("{}_head", "{}_leader")  # a department's head (负责人), else its leader


def department_heads(session: Session, code: str | None) -> list[User]:
    """Who answers for a department's step that nobody holds: the active members of its head group,
    else of its leader group (none for an unknown department)."""
    for pattern in HEAD_GROUPS if code else ():
        members = [u for u in group_members(session, pattern.format(code)) if u.active]
        if members:
            return members
    return []


def called(session: Session, username: str | None) -> str:
    """How a message names a person: their display name, else the user name (未登录用户 for nobody)."""
    if not username:
        return "未登录用户"
    user = find_user(session, username)
    return (user.display_name if user is not None and user.display_name else None) or username


def names_of(session: Session, usernames: set[str], departments: set[str]) -> dict[str, str]:
    """Display names of people and names of departments, for texts people read (one query each)."""
    found: dict[str, str] = {}
    if usernames:
        found.update((u, n or u) for u, n in session.execute(
            select(User.username, User.display_name).where(User.username.in_(sorted(usernames)))))
    if departments:
        found.update({f"dept:{c}": n for c, n in session.execute(
            select(Department.code, Department.name).where(Department.code.in_(sorted(departments))))})
    return found
