"""The public portal's intake: what a citizen sends is kept first, its process started after (and again
later if that fails); the applicant answers a 补正 notice online, the portal acting for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn import runtime
from engine.core import audit
from engine.core.errors import Conflict, InvalidInput
from engine.flow import attachments, instances
from engine.flow.models import Attachment, HumanTask
from engine.flow.projections import OPEN
from engine.gov import licensing, mailbox
from engine.gov.models import Application, Letter
from engine.org import verification

# The system actor recorded when the portal acts for a citizen. It holds a space, and user names never
# do, so it can never be an account and grants nothing (no task, case or file access goes by it).
PORTAL_ACTOR = "公众服务门户 (portal)"
CHANNEL = "portal"
CODE_PURPOSE = "mailbox"
ACCEPT = (".pdf", ".ofd", ".docx", ".xlsx", ".jpg", ".jpeg", ".png")
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 20
MAX_NOTE = 2000
SUPPLEMENT_STEP = "supplement"
KINDS: dict[str, type[Letter] | type[Application]] = {"letter": Letter, "application": Application}
Upload = tuple[str, bytes]


def send_letter_code(session: Session, now: datetime, phone: str, address: str | None = None) -> None:
    """A one-time code for the writer's phone, queued in the outbox (an operator reads it there)."""
    verification.send_code(session, now, phone, CODE_PURPOSE, address)


def receive_letter(session: Session, now: datetime, code: str, **fields: Any) -> mailbox.Submitted:
    """Fields first (no code is spent on a letter that would be refused), then the code, then the letter.
    A wrong code raises InvalidInput on field `code` after counting the try: the edge commits that."""
    mailbox.clean_letter(**{k: fields.get(k, "") for k in ("phone", "category", "title", "content",
                                                           "writer_name")})
    verification.verify_code(session, now, fields.get("phone", ""), CODE_PURPOSE, code)
    return mailbox.receive_letter(session, now, **fields)


def store_uploads(session: Session, now: datetime, files: list[Upload], max_bytes: int = MAX_FILE_BYTES,
                  instance_id: int | None = None, task_id: str | None = None) -> list[Attachment]:
    """The citizen's files, each checked for type and size; held by no case until one starts."""
    if len(files) > MAX_FILES:
        raise InvalidInput(f"at most {MAX_FILES} files at a time ({len(files)} were sent)", field="file")
    return [attachments.store(session, PORTAL_ACTOR, now, name, data, instance_id=instance_id, task_id=task_id,
                              max_bytes=max_bytes, accept=ACCEPT) for name, data in files]


def receive_application(session: Session, now: datetime, files: list[Upload], *, max_bytes: int = MAX_FILE_BYTES,
                        **fields: Any) -> Application:
    """Fields checked, materials stored, the application kept; its process starts afterwards."""
    licensing.clean_application(**fields)
    stored = store_uploads(session, now, files, max_bytes)
    return licensing.receive(session, now, materials=[a.id for a in stored], **fields)


def pending(session: Session, limit: int = 100) -> list[tuple[str, int]]:
    """Submissions whose process has not started yet, oldest first: what `govflow portal retry` works."""
    found: list[tuple[str, int]] = []
    for kind, model in KINDS.items():
        query = select(model.id).where(model.instance_id.is_(None)).order_by(model.id).limit(limit)
        found += [(kind, int(ident)) for ident in session.scalars(query)]
    return found[:limit]


def _claim(session: Session, kind: str, ident: int) -> Letter | Application | None:
    """The submission if it still waits for its start, locked so two starters never start it twice."""
    locking = session.get_bind().dialect.name == "postgresql"
    if kind == "letter":
        letter = select(Letter).where(Letter.id == ident, Letter.instance_id.is_(None))
        return session.scalar(letter.with_for_update(skip_locked=True) if locking else letter)
    app = select(Application).where(Application.id == ident, Application.instance_id.is_(None))
    return session.scalar(app.with_for_update(skip_locked=True) if locking else app)


def start_pending(session: Session, now: datetime, kind: str, ident: int) -> bool:
    """Start the process of a kept submission; False when there is nothing to start (done, or held)."""
    record = _claim(session, kind, ident)
    if record is None:
        return False
    if isinstance(record, Letter):
        mailbox.start_letter(session, now, record, channel=CHANNEL)
    else:
        inst = licensing.start_case(session, now, record, channel=CHANNEL)
        attachments.link(session, record.materials, inst.id, PORTAL_ACTOR)
    return True


def kept(session: Session, kind: str, ident: int) -> Letter | Application | None:
    """A submission by kind ('letter' or 'application') and id."""
    if kind not in KINDS:
        raise InvalidInput(f"没有“{kind}”这类提交 / unknown kind of submission '{kind}'; one of {', '.join(KINDS)}", field="kind")
    return session.get(Letter, ident) if kind == "letter" else session.get(Application, ident)


def note_start_failure(session: Session, now: datetime, kind: str, ident: int, error: str) -> None:
    """The submission stays pending with the reason; the trail says a start failed."""
    record = kept(session, kind, ident)
    if record is None or record.instance_id is not None:
        return
    record.start_error = error[:2000]
    reference = record.code if isinstance(record, Letter) else record.number
    audit.record(session, "portal_start_failed", PORTAL_ACTOR, now,
                 detail={"kind": kind, "id": ident, "reference": reference, "error": error[:500]})
    session.flush()


def supplement_task(session: Session, app: Application) -> HumanTask | None:
    """The open 补正 step of the application's case, if it waits for materials."""
    if app.instance_id is None:
        return None
    return session.scalar(select(HumanTask).where(HumanTask.instance_id == app.instance_id,
                                                  HumanTask.element_id == SUPPLEMENT_STEP,
                                                  HumanTask.status == OPEN).limit(1))


def answer_supplement(session: Session, now: datetime, app: Application, files: list[Upload], note: str,
                      max_bytes: int = MAX_FILE_BYTES) -> HumanTask:
    """The applicant hands in the missing materials: the 补正 step completes (so its clock pause ends)
    and the case returns to the window's acceptance check."""
    row = supplement_task(session, app)
    if row is None:
        raise Conflict("此申请目前不需要补正材料 / this application is not waiting for supplementary materials")
    note = str(note or "").strip()
    if not note or len(note) > MAX_NOTE:
        raise InvalidInput(f"say what you hand in, at most {MAX_NOTE} characters", field="supplement_note")
    if not files:
        raise InvalidInput("upload the missing materials", field="file")
    ids = [a.id for a in store_uploads(session, now, files, max_bytes, row.instance_id, row.id)]
    app.materials = [*app.materials, *ids]
    # The process's next step sets 待受理 again, as when the window clerk completes 补正 in person.
    _complete_for_applicant(session, now, row, app, {"supplement_files": ids, "supplement_note": note,
                                                     "materials": list(app.materials)}, note)
    session.flush()
    return row


def _complete_for_applicant(session: Session, now: datetime, row: HumanTask, app: Application,
                            data: dict[str, Any], note: str) -> None:
    """tasks.complete without its candidate check: the applicant proved who they are by number and ID,
    and the step is theirs to answer; the trail names the portal acting on the applicant's behalf."""
    inst = instances.get(session, row.instance_id)
    instances.require_running(inst)
    behalf = f"申请人 {app.applicant}"
    with instances.operate(session, inst, now) as loaded:
        before = dict(runtime.find_task(loaded.wf, row.id).data)
        runtime.complete_task(loaded.wf, row.id, data, record={"by": PORTAL_ACTOR, "opinion": note,
                                                               "on_behalf_of": behalf})
        audit.record(session, "complete", PORTAL_ACTOR, now, instance_id=inst.id, task_id=row.id,
                     element_id=row.element_id, opinion=note, changes=audit.diff(before, data),
                     detail={"name": row.name, "on_behalf_of": behalf, "number": app.number, "channel": CHANNEL})
        instances.save(session, loaded, now, done={row.id: PORTAL_ACTOR})


def retry_pending(sessions: sessionmaker[Session], now: datetime, limit: int = 20) -> tuple[int, int]:
    """What each scheduler tick does for portal submissions still waiting: start each in its own
    transaction; a failure is noted on the submission and left for the next tick. (started, failed)."""
    with sessions() as session:
        items = pending(session, limit)
    started = failed = 0
    for kind, ident in items:
        try:
            with sessions.begin() as session:
                started += start_pending(session, now, kind, ident)
        except Exception as exc:  # noqa: BLE001  (any engine failure: the submission must stay pending)
            failed += 1
            with sessions.begin() as session:
                note_start_failure(session, now, kind, ident, f"{type(exc).__name__}: {exc}")
    return started, failed
