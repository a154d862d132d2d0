"""Mayor's mailbox (市长信箱): letters with a code and hashed password, keyword screening, folders, replies."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from engine.core import audit, events
from engine.core.errors import ExecutionError, InvalidInput
from engine.flow import instances, tasks
from engine.flow.models import CarbonCopy, HumanTask, Instance
from engine.flow.services import ServiceCall, case_record, register
from engine.gov.models import Letter
from engine.org import verification
from engine.org.directory import find_user, group_codes, is_admin
from engine.org.models import Department

PROCESS = "mayor_mailbox"
CATEGORIES = {"consult": "咨询", "suggest": "建议", "complain": "投诉"}
# Folders a letter sits in (Letter.folder); 待办理 and 抄送夹 are per clerk and come from tasks and copies.
FOLDERS = {"new": "未处理", "handling": "流程追踪", "rejected": "不予受理", "done": "审理完成",
           "recycle": "回收站"}
# Words that flag a letter for the receiving clerk's attention; they never block a letter by themselves.
KEYWORDS = ("法轮", "赌博", "博彩", "代开发票", "办证", "枪支", "毒品", "色情", "传销", "刷单", "贷款", "返利")
MAX_TITLE, MAX_CONTENT, MAX_NAME = 200, 5000, 100
WRONG_LIMIT, WRONG_WINDOW = 5, timedelta(minutes=30)
_ITERATIONS = 120_000


@dataclass
class Submitted:
    letter: Letter
    password: str  # shown once to the writer; only its hash is kept


def screen(*texts: str) -> list[str]:
    """The keywords found in a letter, in list order."""
    joined = "\n".join(texts)
    return [word for word in KEYWORDS if word in joined]


def hash_password(password: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), _ITERATIONS).hex()
    return f"pbkdf2_sha256${_ITERATIONS}${salt}${digest}"


def password_matches(stored: str, password: str) -> bool:
    try:
        _, rounds, salt, digest = stored.split("$")
        mine = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(rounds)).hex()
    except ValueError:
        return False
    return hmac.compare_digest(mine, digest)


def _text(value: Any, field: str, limit: int, what: str) -> str:
    """Portal input: the portal's pages give the Chinese hint for each field (webapp/portal/common.py)."""
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(f"{what} is required", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters ({len(text)})", field=field)
    return text


def clean_letter(*, phone: str, category: str, title: str, content: str, writer_name: str = "") -> dict[str, str]:
    """Every field of a letter checked before anything is stored or a one-time code is spent."""
    phone = verification.check_mobile(phone)
    if category not in CATEGORIES:
        raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)} (咨询/建议/投诉)", field="category")
    name = str(writer_name or "").strip()
    if len(name) > MAX_NAME:
        raise InvalidInput(f"the writer's name is longer than {MAX_NAME} characters ({len(name)})",
                           field="writer_name")
    return {"phone": phone, "category": category, "title": _text(title, "title", MAX_TITLE, "the title"),
            "content": _text(content, "content", MAX_CONTENT, "the letter's content"), "writer_name": name}


def receive_letter(session: Session, now: datetime, *, phone: str, category: str, title: str, content: str,
                   wants_public: bool = False, writer_name: str = "") -> Submitted:
    """The letter kept on its own (folder `pending`, no instance yet), so a failing start never loses it."""
    fields = clean_letter(phone=phone, category=category, title=title, content=content, writer_name=writer_name)
    password = f"{secrets.randbelow(10**6):06d}"
    letter = Letter(code=verification.new_reference(session, now, Letter.code, "XX", "letter code"),
                    password_hash=hash_password(password), wants_public=bool(wants_public),
                    screen_hits=screen(fields["title"], fields["content"]), folder="pending", submitted_at=now,
                    **fields)
    session.add(letter)
    session.flush()
    return Submitted(letter, password)


def start_letter(session: Session, now: datetime, letter: Letter, actor: str | None = None,
                 channel: str = "") -> Instance:
    """The letter's mayor_mailbox instance; the letter moves from `pending` to 未处理."""
    data = {"letter_id": letter.id, "letter_code": letter.code, "title": letter.title, "content": letter.content,
            "category": letter.category, "category_name": CATEGORIES[letter.category],
            "wants_public": letter.wants_public, "screen_hits": letter.screen_hits, "phone_tail": letter.phone[-4:]}
    inst = instances.start(session, actor, now, PROCESS, data, title=f"{letter.code} {letter.title}")
    letter.instance_id, letter.folder, letter.start_error = inst.id, "new", None
    audit.record(session, "letter_submitted", actor, now, instance_id=inst.id,
                 detail={"code": letter.code, "screen_hits": letter.screen_hits,
                         **({"channel": channel} if channel else {})})
    session.flush()
    return inst


def submit_letter(session: Session, now: datetime, *, phone: str, category: str, title: str, content: str,
                  wants_public: bool = False, writer_name: str = "", actor: str | None = None) -> Submitted:
    """A new letter and its process instance; returns the letter and its password (never stored in clear)."""
    sent = receive_letter(session, now, phone=phone, category=category, title=title, content=content,
                          wants_public=wants_public, writer_name=writer_name)
    start_letter(session, now, sent.letter, actor)
    return sent


def check_letter(session: Session, now: datetime, code: str, password: str, address: str) -> Letter | None:
    """The letter when code and password match; None after recording a failure (the caller commits it),
    refused outright while the code or the address has too many recent failures."""
    code = (code or "").strip().upper()
    return verification.guarded_match(
        session, now, [f"letter:{code}", f"letter-ip:{address}"], WRONG_LIMIT, WRONG_WINDOW,
        lambda: session.scalar(select(Letter).where(Letter.code == code)),
        lambda letter: password_matches(letter.password_hash, (password or "").strip()), decoy=_DECOY)


_DECOY: Any = SimpleNamespace(password_hash=hash_password("decoy"))  # an unknown code costs a hash check too


def rate(session: Session, now: datetime, letter: Letter, rating: int, comment: str = "") -> Letter:
    """The writer's rating (1–5) of a finished letter, once."""
    if letter.folder != "done":
        raise InvalidInput("a letter can be rated once its reply is finished", field="rating")
    if letter.rating is not None:
        raise InvalidInput("this letter has already been rated", field="rating")
    score, text = verification.check_rating(rating), verification.check_comment(comment)
    letter.rating, letter.rating_comment, letter.rated_at = score, text, now
    audit.record(session, "letter_rated", None, now, instance_id=letter.instance_id,
                 detail={"code": letter.code, "rating": rating})
    return letter


def published_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Letter).where(Letter.published.is_(True))) or 0)


def published(session: Session, limit: int = 20, offset: int = 0) -> list[Letter]:
    """Replies published to the public list, newest first."""
    return list(session.scalars(select(Letter).where(Letter.published.is_(True))
                                .order_by(Letter.finished_at.desc(), Letter.id.desc()).limit(limit).offset(offset)))


def folder_counts(session: Session, username: str) -> dict[str, int]:
    """Counts of every folder clerks know, including their own 待办理 and 抄送夹."""
    counts = {k: 0 for k in ("todo", *FOLDERS, "copies", "all")}
    for folder, n in session.execute(select(Letter.folder, func.count()).group_by(Letter.folder)):
        counts[folder] = counts.get(folder, 0) + int(n)
        counts["all"] += int(n)
    counts["todo"] = len(_todo_instance_ids(session, username))
    counts["copies"] = int(session.scalar(select(func.count()).select_from(CarbonCopy)
                                          .join(Letter, Letter.instance_id == CarbonCopy.instance_id)
                                          .where(CarbonCopy.recipient == username)) or 0)
    return counts


def _todo_instance_ids(session: Session, username: str) -> set[int]:
    """Letters with an open step this user may work (the inbox's own rule of who may work what)."""
    query = (select(HumanTask.instance_id).join(Instance, Instance.id == HumanTask.instance_id)
             .where(HumanTask.status == "open", Instance.status == "running",
                    Instance.process_id == PROCESS))
    if not is_admin(session, username):
        query = query.where(tasks.visible_filter(username, group_codes(session, username)))
    return set(session.scalars(query))


def folder_query(session: Session, username: str, folder: str, text: str | None = None) -> Select[Any]:
    """The letters of one folder (by title or code when `text` is given), unordered."""
    query = select(Letter)
    if folder in FOLDERS:
        query = query.where(Letter.folder == folder)
    elif folder == "todo":
        query = query.where(Letter.instance_id.in_(_todo_instance_ids(session, username) or {-1}))
    elif folder == "copies":
        query = query.where(Letter.instance_id.in_(select(CarbonCopy.instance_id)
                                                   .where(CarbonCopy.recipient == username)))
    elif folder != "all":
        raise InvalidInput(f"没有“{folder}”这个文件夹 / unknown folder '{folder}'; one of todo, {', '.join(FOLDERS)}, "
                           "copies, all",
                           field="folder")
    if text and text.strip():
        needle = f"%{text.strip()}%"
        query = query.where(or_(Letter.title.ilike(needle), Letter.code.ilike(needle)))
    return query


def letters_in(session: Session, username: str, folder: str, limit: int = 50, offset: int = 0) -> list[Letter]:
    """The letters of one folder, newest first."""
    query = folder_query(session, username, folder).order_by(Letter.submitted_at.desc(), Letter.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def _letter_of(call: ServiceCall) -> Letter:
    letter: Letter = case_record(call, Letter, "letter_id", "mailbox letter")
    return letter


@register("letter_folder")
def _move(call: ServiceCall) -> dict[str, Any]:
    """Puts the letter in the folder the element names (property `folder`)."""
    folder = call.properties.get("folder", "")
    if folder not in FOLDERS:
        raise ExecutionError(f"扩展属性 folder 须为 {', '.join(FOLDERS)} 之一 / property folder must be one of {', '.join(FOLDERS)}", element_id=call.element_id)
    letter = _letter_of(call)
    letter.folder = folder
    if folder == "rejected":
        letter.reject_reason = str(call.data.get("reject_reason") or "")
    if folder in ("rejected", "recycle", "done"):
        letter.finished_at = call.now
    audit.record(call.session, "letter_folder", call.actor, call.now, instance_id=call.instance.id,
                 detail={"code": letter.code, "folder": folder})
    return {"letter_folder": folder}


@register("letter_collect")
def _collect(call: ServiceCall) -> dict[str, Any]:
    """The departments' replies joined into one draft for the leader's review."""
    parts = [r for r in call.data.get("replies") or [] if isinstance(r, dict)]
    draft = "\n\n".join(f"【{_department_name(call.session, str(r.get('dept', '')))}】{r.get('reply', '')}"
                        for r in parts)
    cites = sorted({str(r.get("cites")).strip() for r in parts if r.get("cites")})
    return {"reply_draft": draft, "reply_cites": cites}


@register("letter_reset")
def _reset(call: ServiceCall) -> dict[str, Any]:
    """Before the departments handle the letter again (sent back), their earlier replies are set aside."""
    return {"earlier_replies": call.data.get("replies") or []}


@register("letter_publish")
def _publish(call: ServiceCall) -> dict[str, Any]:
    """审理完成: the reply is kept on the letter, published if the leader said so, copies sent as instructed."""
    letter = _letter_of(call)
    reply = str(call.data.get("final_reply") or call.data.get("reply_draft") or "").strip()
    letter.reply = reply
    letter.reply_unit = "、".join(_department_name(call.session, str(r.get("dept")))
                                 for r in call.data.get("replies") or [] if isinstance(r, dict))
    # Published only with the writer's consent (given when writing), whatever the leader chose.
    letter.published = bool(call.data.get("publish")) and letter.wants_public
    letter.folder, letter.finished_at = "done", call.now
    copied = []
    for username in call.data.get("cc_users") or []:
        if find_user(call.session, username) is None:
            continue
        call.session.add(CarbonCopy(instance_id=call.instance.id, sender=call.actor, recipient=username,
                                    note=f"市长信箱 {letter.code} 办理结果", created_at=call.now))
        copied.append(username)
    audit.record(call.session, "letter_published" if letter.published else "letter_finished", call.actor,
                 call.now, instance_id=call.instance.id,
                 detail={"code": letter.code, "copied": copied,
                         "kept_private": bool(call.data.get("publish")) and not letter.wants_public})
    events.emit(call.session, call.now, events.LETTER_ANSWERED, instance_id=call.instance.id, code=letter.code,
                published=letter.published, reply_unit=letter.reply_unit)
    return {"published": letter.published, "copied_to": copied}


def _department_name(session: Session, code: str) -> str:
    """The answering unit as the citizen reads it (市住房和城乡建设局, not zjj)."""
    return session.scalar(select(Department.name).where(Department.code == code)) or code
