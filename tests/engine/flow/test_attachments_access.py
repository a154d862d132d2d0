"""Attachments refuse what their name does not say, and only people with a part in a case may read it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from engine.core.errors import Forbidden, InvalidInput
from engine.flow import access, attachments, definitions, instances, task_actions, tasks
from engine.org import deputies
from engine.org import directory as org

PROCESSES = Path(__file__).resolve().parents[3] / "processes"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def world(session: Session, now: datetime) -> Session:
    for name, groups in [("zhang", ["clerk"]), ("li", ["dept_head"]), ("wang", ["office"]), ("zhao", []),
                         ("jian", ["supervisor"]), ("dep", [])]:
        org.create_user(session, name, groups=groups)
    definitions.deploy(session, "admin", now, [("leave_request.bpmn", (PROCESSES / "leave_request.bpmn").read_bytes())])
    return session


@pytest.mark.parametrize(("name", "data", "message"), [
    ("evil.html", b"<script>alert(1)</script>", "not accepted"),
    ("invoice.pdf", b"<html><script>alert(1)</script>", "does not contain what its name says"),
    ("tool.exe", b"MZ\x90\x00", "not accepted"),
    ("empty.pdf", b"", "empty"),
    ("notes.txt", b"<svg onload=alert(1)>", "markup"),
    ("notes.txt", b"\xff\xfe\x00b", "not UTF-8"),
    ("../../etc/", PDF, "no usable name"),
])
def test_hostile_or_broken_uploads_are_refused_naming_the_file(world: Session, now: datetime, name: str,
                                                               data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as refused:
        attachments.store(world, "zhang", now, name, data)
    assert refused.value.field == "file"


def test_size_limit_and_accept_list(world: Session, now: datetime) -> None:
    with pytest.raises(InvalidInput, match="limit is 1 MB"):
        attachments.store(world, "zhang", now, "big.pdf", PDF + b"0" * (1024 * 1024), max_bytes=1024 * 1024)
    with pytest.raises(InvalidInput, match="not accepted"):
        attachments.store(world, "zhang", now, "photo.png", b"\x89PNG\r\n\x1a\n....", accept=[".pdf"])


def test_names_are_cleaned_and_cjk_kept(world: Session, now: datetime) -> None:
    row = attachments.store(world, "zhang", now, "C:\\材料\\营业执照<副本>.pdf", PDF)
    assert row.filename == "营业执照_副本_.pdf" and row.content_type == "application/pdf" and row.size == len(PDF)


def test_only_people_with_a_part_in_the_case_read_its_files(world: Session, now: datetime) -> None:
    inst = instances.start(world, "zhang", now, "leave_request", {"days": 1})
    [apply] = tasks.open_for_instance(world, inst.id)
    row = attachments.store(world, "zhang", now, "病历.pdf", PDF, instance_id=inst.id, task_id=apply.id)
    tasks.complete(world, "zhang", now, apply.id, {"days": 1})
    assert attachments.get(world, "li", now, row.id).content == PDF  # a candidate of the open step
    assert attachments.get(world, "jian", now, row.id).filename == "病历.pdf"  # a supervisor
    for outsider in ("wang", "zhao"):
        with pytest.raises(Forbidden):
            attachments.get(world, outsider, now, row.id)
    [review] = tasks.open_for_instance(world, inst.id)
    task_actions.carbon_copy(world, "li", now, review.id, ["zhao"], "请阅")
    assert access.may_view(world, "zhao", inst)  # a copy recipient
    assert not access.may_view(world, "dep", inst, now)
    deputies.grant(world, "zhang", now, "zhang", "dep", now, now.replace(year=2027), "休假")
    assert access.may_view(world, "dep", inst, now)  # the starter's deputy


def test_files_uploaded_before_the_case_join_it_only_for_their_uploader(world: Session, now: datetime) -> None:
    early = attachments.store(world, "zhang", now, "申请书.pdf", PDF)
    inst = instances.start(world, "zhang", now, "leave_request", {"days": 1})
    with pytest.raises(InvalidInput):
        attachments.link(world, [early.id], inst.id, "zhao")
    [linked] = attachments.link(world, [early.id], inst.id, "zhang")
    assert linked.instance_id == inst.id and attachments.of_instance(world, inst.id) == [linked]
