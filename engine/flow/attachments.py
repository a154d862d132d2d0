"""Attachments: size and type limits checked on the content itself, stored with the step that uploads them."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from engine.core import audit
from engine.core.clock import to_db
from engine.core.errors import Forbidden, InvalidInput, NotFound
from engine.flow import access, instances
from engine.flow.models import Attachment

MAX_BYTES = 20 * 1024 * 1024
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
# Extension -> (content type, accepted leading bytes); None means plain UTF-8 text.
TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".ofd": ("application/ofd", (_ZIP,)),
    ".doc": ("application/msword", (_OLE,)),
    ".wps": ("application/vnd.ms-works", (_OLE,)),
    ".xls": ("application/vnd.ms-excel", (_OLE,)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (_ZIP,)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (_ZIP,)),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (_ZIP,)),
    ".zip": ("application/zip", (_ZIP,)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".txt": ("text/plain; charset=utf-8", None),
    ".csv": ("text/csv; charset=utf-8", None),
}
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def clean_filename(name: str | None) -> str:
    """The last path part, without control or reserved characters, at most 200 characters (keeps CJK)."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").split("/")[-1])
    base = _UNSAFE.sub("_", base).strip(" .")
    if not base or base.startswith("."):
        raise InvalidInput("文件没有可用的文件名 / the file has no usable name", field="file")
    stem, dot, ext = base.rpartition(".")
    return (stem[: 200 - len(ext) - 1] + dot + ext) if dot else base[:200]


def check_content(filename: str, data: bytes, max_bytes: int = MAX_BYTES,
                  accept: Iterable[str] | None = None) -> str:
    """The content type for a file whose name and bytes agree; otherwise a clear refusal naming the file."""
    ext = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    allowed = [e.lower() for e in accept] if accept else list(TYPES)
    if ext not in TYPES or ext not in allowed:
        kinds = ", ".join(sorted(set(allowed) & set(TYPES)))
        raise InvalidInput(f"「{filename}」：此处不接受 {ext or '无扩展名'} 文件，请上传 {kinds} 格式 / files of type "
                           f"'{ext or 'none'}' are not accepted here; use one of {kinds}", field="file")
    if not data:
        raise InvalidInput(f"「{filename}」是空文件 / the file is empty", field="file")
    if len(data) > max_bytes:
        (got, got_en), (limit, limit_en) = _size(len(data)), _size(max_bytes)
        if got == limit:  # just over: say by how much rather than the same rounded number twice
            got, got_en = f"{len(data)} 字节", f"{len(data)} bytes"
        raise InvalidInput(f"「{filename}」有 {got}，超过上限 {limit} / the file is {got_en}; the limit is {limit_en}",
                           field="file")
    content_type, magic = TYPES[ext]
    if magic is None:
        if b"\x00" in data or not _is_utf8(data):
            raise InvalidInput(f"「{filename}」不是 UTF-8 文本 / not UTF-8 text", field="file")
        if data.lstrip()[:1] == b"<":
            raise InvalidInput(f"「{filename}」像是网页标记而非文本，请转为 PDF 上传 / looks like markup, not text; upload it as PDF",
                               field="file")
    elif not any(data.startswith(m) for m in magic):
        raise InvalidInput(f"「{filename}」的内容与扩展名 {ext} 不符，已拒收 / does not contain what its name says "
                           f"({ext}); it was refused", field="file")
    return content_type


def _size(n: int) -> tuple[str, str]:
    """A size in Chinese and English words: exact for small files (2077 字节, not a rounded 2.0 KB), a
    limit of whole megabytes as such (1 MB)."""
    if n >= 1048576:
        return f"{n / 1048576:.3g} MB", f"{n / 1048576:.3g} MB"
    return (f"{n / 1024:.1f} KB", f"{n / 1024:.1f} KB") if n >= 10240 else (f"{n} 字节", f"{n} bytes")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def store(session: Session, actor: str | None, now: datetime, filename: str | None, data: bytes, *,
          instance_id: int | None = None, task_id: str | None = None, max_bytes: int = MAX_BYTES,
          accept: Iterable[str] | None = None) -> Attachment:
    """Check and keep one upload; the caller's transaction decides whether it stays."""
    name = clean_filename(filename)
    content_type = check_content(name, data, max_bytes, accept)
    row = Attachment(instance_id=instance_id, task_id=task_id, filename=name, content_type=content_type,
                     size=len(data), sha256=hashlib.sha256(data).hexdigest(), content=data,
                     uploaded_by=actor, uploaded_at=to_db(now))
    session.add(row)
    session.flush()
    if instance_id is not None:
        audit.record(session, "attach", actor, now, instance_id=instance_id, task_id=task_id,
                     detail={"attachment": row.id, "filename": name, "size": row.size})
    return row


def link(session: Session, ids: Iterable[int], instance_id: int, actor: str | None) -> list[Attachment]:
    """Files uploaded before their case existed (a form, the portal) join the case; only the uploader's own."""
    rows = []
    for ident in ids:
        row = session.get(Attachment, int(ident))
        if row is None or (row.instance_id not in (None, instance_id)) or row.uploaded_by != actor:
            raise InvalidInput(f"只能附上您本人上传的文件 / attachment {ident} is not one of your uploads", field="file")
        row.instance_id = instance_id
        rows.append(row)
    session.flush()
    return rows


def get(session: Session, actor: str | None, now: datetime, attachment_id: int) -> Attachment:
    """The file with its content, for someone who may see its case (or who uploaded it)."""
    row = session.scalar(select(Attachment).where(Attachment.id == attachment_id)
                         .options(undefer(Attachment.content)))
    if row is None:
        raise NotFound(f"附件不存在或已删除 / attachment {attachment_id} does not exist")
    if row.uploaded_by is not None and row.uploaded_by == actor:
        return row
    if row.instance_id is None or not access.may_view(session, actor, instances.get(session, row.instance_id), now):
        raise Forbidden(f"您没有参与此附件所属的案件，不能打开 / {actor or 'anonymous'} may not open attachment {attachment_id}")
    return row


def of_instance(session: Session, instance_id: int) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.instance_id == instance_id)
                                .order_by(Attachment.id)))
