"""Official documents (公文): drafting data, countersign tallies, gapless document numbers, distribution."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.core import audit
from engine.core.clock import CHINA_TZ
from engine.core.errors import ExecutionError, InvalidInput
from engine.flow import instances
from engine.flow.services import ServiceCall, register
from engine.gov.models import DocumentNumber, DocumentSequence
from engine.org.demo import DOCUMENT_WORDS
from engine.org.directory import find_user
from engine.org.models import Department

INCOMING = "document_incoming"
# Fields an incoming document (收文) takes over from the outgoing one.
CARRIED = ("title", "doc_type", "doc_number", "secrecy", "urgency", "body", "attachments")


def next_number(session: Session, actor: str | None, now: datetime, word: str, instance_id: int,
                title: str = "") -> DocumentNumber:
    """The next number of `word` in the current year, e.g. 某府发〔2026〕12号.

    The UPDATE holds the sequence row's lock (PostgreSQL) or the database write lock (SQLite) until the
    step commits, so concurrent sign-offs queue instead of sharing a number; a step that rolls back
    gives its number back, so the register has no gaps."""
    word = (word or "").strip()
    if not word or len(word) > 32:
        raise InvalidInput("the document word (机关代字, e.g. 某府发) is missing or longer than 32 characters")
    year = now.astimezone(CHINA_TZ).year
    serial = increment(session, word, year)
    number = f"{word}〔{year}〕{serial}号"
    row = DocumentNumber(word=word, year=year, serial=serial, number=number, instance_id=instance_id,
                         title=title[:500], assigned_by=actor, assigned_at=now)
    session.add(row)
    session.flush()
    audit.record(session, "document_number", actor, now, instance_id=instance_id,
                 detail={"number": number, "word": word, "year": year, "serial": serial})
    return row


def increment(session: Session, word: str, year: int) -> int:
    for _ in range(3):
        bumped = session.execute(update(DocumentSequence)
                                 .where(DocumentSequence.word == word, DocumentSequence.year == year)
                                 .values(last_number=DocumentSequence.last_number + 1)
                                 .execution_options(synchronize_session=False))
        if getattr(bumped, "rowcount", 0) == 1:
            value = session.scalar(select(DocumentSequence.last_number)
                                   .where(DocumentSequence.word == word, DocumentSequence.year == year)
                                   .execution_options(populate_existing=True))
            return int(value or 0)
        try:
            with session.begin_nested():
                session.add(DocumentSequence(word=word, year=year, last_number=1))
            return 1
        except IntegrityError:
            continue  # another step created the year's row first: bump it instead
    raise ExecutionError(f"未能取得{word}〔{year}〕的文号，请重试 / could not take a number for {word} {year}; try again")


def register_of(session: Session, word: str, year: int) -> list[DocumentNumber]:
    """The 发文登记簿 of one word and year, in number order."""
    return list(session.scalars(select(DocumentNumber).where(DocumentNumber.word == word,
                                                             DocumentNumber.year == year)
                                .order_by(DocumentNumber.serial)))


def department_of(session: Session, username: str | None) -> Department | None:
    user = find_user(session, username) if username else None
    return user.department if user is not None else None


@register("document_prepare")
def _prepare(call: ServiceCall) -> dict[str, Any]:
    """The drafter's department and its document word, unless the start data chose them."""
    dept = department_of(call.session, call.instance.started_by)
    code = call.data.get("draft_dept") or (dept.code if dept is not None else "szfb")
    result: dict[str, Any] = {"draft_dept": code}
    if not call.data.get("doc_word"):
        result["doc_word"] = DOCUMENT_WORDS.get(code, DOCUMENT_WORDS["szfb"])
    for name in ("countersign_depts", "main_to", "cc_to"):
        if not isinstance(call.data.get(name), list):
            result[name] = []
    return result


@register("countersign_tally")
def _tally(call: ServiceCall) -> dict[str, Any]:
    """会签 result under the element's pass rule: `all` (default), `any`, or a ratio like `2/3` or `0.5`."""
    votes_name = call.properties.get("votes", "countersigns")
    field = call.properties.get("field", "agree")
    votes = [v for v in call.data.get(votes_name) or [] if isinstance(v, dict)]
    yes = sum(1 for v in votes if _truthy(v.get(field)))
    rule = call.properties.get("rule", "all").strip()
    passed = _passes(rule, yes, len(votes), call.element_id)
    objections = [{"dept": v.get("dept"), "by": v.get("by"), "opinion": v.get("opinion", "")}
                  for v in votes if not _truthy(v.get(field))]
    return {"countersign_passed": passed, "countersign_objections": objections,
            "countersign_result": f"{yes}/{len(votes)}"}


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "yes", "agree"))


def _passes(rule: str, yes: int, total: int, element_id: str) -> bool:
    if total == 0:
        return True
    if rule == "all":
        return yes == total
    if rule == "any":
        return yes >= 1
    try:
        if "/" in rule:
            top, bottom = rule.split("/", 1)
            ratio = int(top) / int(bottom)
        else:
            ratio = float(rule)
    except (ValueError, ZeroDivisionError) as exc:
        raise ExecutionError(f"会签规则“{rule}”无效：应为 all（全部同意）、any（任一同意）或比例如 2/3 / countersign rule "
                             f"'{rule}' is not all, any or a ratio like 2/3",
                             element_id=element_id) from exc
    return yes >= ratio * total


@register("document_number")
def _number(call: ServiceCall) -> dict[str, Any]:
    if call.data.get("doc_number"):
        return {}  # a document sent back after numbering keeps its number
    word = str(call.data.get("doc_word") or "")
    row = next_number(call.session, call.actor, call.now, word, call.instance.id, str(call.data.get("title", "")))
    return {"doc_number": row.number, "doc_year": row.year, "doc_serial": row.serial}


@register("distribute")
def _distribute(call: ServiceCall) -> dict[str, Any]:
    """分发: one incoming document (收文) per 主送 and 抄送 unit, each a process of its own."""
    carried = {k: call.data[k] for k in CARRIED if k in call.data}
    from_dept = call.data.get("draft_dept")
    sent: list[dict[str, Any]] = []
    seen: set[str] = set()
    for kind, units in (("main", call.data.get("main_to") or []), ("cc", call.data.get("cc_to") or [])):
        for unit in units:
            if unit in seen:
                continue
            seen.add(unit)
            if call.session.scalar(select(Department.id).where(Department.code == unit)) is None:
                raise ExecutionError(f"distribution to unknown unit '{unit}': correct 主送/抄送 and retry",
                                     element_id=call.element_id)
            data = {**carried, "unit": unit, "kind": kind, "from_unit": from_dept,
                    "source_instance": call.instance.id}
            try:
                started = instances.start(call.session, None, call.now, INCOMING, data,
                                          title=f"{call.data.get('doc_number', '')} {call.data.get('title', '')}")
            except Exception as exc:  # noqa: BLE001 -- named for the designer, the step rolls back
                raise ExecutionError(f"分发至 {unit} 失败：{exc} / distribution to {unit} failed: {exc}", element_id=call.element_id) from exc
            sent.append({"unit": unit, "kind": kind, "instance_id": started.id})
    return {"distributed": sent}
