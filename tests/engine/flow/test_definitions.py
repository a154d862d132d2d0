"""Deployment: files stored once per content hash, versions per process id, instances pinned to their
version, call activities resolved within a batch and against earlier deployments, hostile XML refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.core.errors import InvalidDefinition
from engine.flow import definitions, instances, tasks
from engine.flow.models import DefinitionFile, ProcessVersion
from engine.org import directory as org

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn"
DATA = {"dept": "d1", "backup": "bob", "deadline": "2026-11-10T09:00:00+08:00", "urgency": 5}


def _file(name: str) -> tuple[str, bytes]:
    return name, (FIXTURES / name).read_bytes()


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _open(session, instance_id: int) -> list[tuple[str, str]]:
    return [(t.element_id, t.name) for t in tasks.open_for_instance(session, instance_id)]


def test_same_bytes_are_stored_once_and_new_bytes_make_version_two(session, now) -> None:
    name, content = _file("approval.bpmn")
    first = definitions.deploy(session, "designer", now, [(name, content)])
    assert [(p.process_id, p.version, p.new) for p in first.processes] == [("approval", 1, True)]
    files, versions = _count(session, DefinitionFile), _count(session, ProcessVersion)

    again = definitions.deploy(session, "designer", now, [(name, content)])
    assert [(p.process_id, p.version, p.new) for p in again.processes] == [("approval", 1, False)]
    assert (_count(session, DefinitionFile), _count(session, ProcessVersion)) == (files, versions)

    changed = content.replace(b'name="Review"', b'name="Review v2"')
    second = definitions.deploy(session, "designer", now, [(name, changed)])
    assert [(p.process_id, p.version, p.new) for p in second.processes] == [("approval", 2, True)]
    assert _count(session, DefinitionFile) == files + 1
    stored = session.scalar(select(DefinitionFile).join(ProcessVersion, ProcessVersion.file_id == DefinitionFile.id)
                            .where(ProcessVersion.process_id == "approval", ProcessVersion.version == 2))
    assert stored is not None and stored.content == changed and stored.deployed_by == "designer"
    assert definitions.get_version(session, "approval").version == 2
    assert definitions.get_version(session, "approval", 1).file.content == content


def test_versions_are_numbered_per_process_id(session, now) -> None:
    definitions.deploy(session, "designer", now, [_file("approval.bpmn")])
    name, content = _file("approval.bpmn")
    definitions.deploy(session, "designer", now, [(name, content.replace(b"Simple approval", b"Approval 2"))])
    result = definitions.deploy(session, "designer", now, [_file("countersign.bpmn")])
    assert [(p.process_id, p.version) for p in result.processes] == [("countersign", 1)]
    listed = {(v.process_id, v.version) for v, _ in definitions.list_versions(session)}
    assert {("approval", 1), ("approval", 2), ("countersign", 1)} <= listed
    assert ("countersign_notes", 1) not in listed  # a diagram-only process is not deployed
    assert any(p.code == "not-executable" and p.file == "countersign.bpmn" and p.line
               for p in result.problems)


def test_running_instance_keeps_its_version_after_a_redeploy(session, now) -> None:
    name, content = _file("approval.bpmn")
    definitions.deploy(session, "designer", now, [(name, content)])
    old = instances.start(session, "alice", now, "approval", DATA)
    definitions.deploy(session, "designer", now, [(name, content.replace(b'name="Review"', b'name="Review v2"'))])
    new = instances.start(session, "alice", now, "approval", DATA)
    assert (old.process_version.version, new.process_version.version) == (1, 2)

    instances.CACHE.clear()  # the old instance is restored from its stored state with version 1's spec
    tasks.complete(session, "alice", now, tasks.open_for_instance(session, old.id)[0].id, {})
    tasks.complete(session, "alice", now, tasks.open_for_instance(session, new.id)[0].id, {})
    assert _open(session, old.id) == [("review", "Review")]
    assert _open(session, new.id) == [("review", "Review v2")]
    counts = {(v.process_id, v.version): n for v, n in definitions.list_versions(session)}
    assert counts[("approval", 1)] >= 1 and counts[("approval", 2)] >= 1


def test_call_activity_resolves_within_one_batch(session, now) -> None:
    result = definitions.deploy(session, "designer", now, [_file("parent_call.bpmn"), _file("child_review.bpmn")])
    assert {p.process_id for p in result.processes} == {"parent_case", "child_review"}
    inst = instances.start(session, "alice", now, "parent_case")
    [row] = tasks.open_for_instance(session, inst.id)
    assert (row.element_id, row.process_id) == ("expert_opinion", "child_review")
    assert [(c.kind, c.value) for c in row.candidates] == [("group", "experts")]
    org.create_user(session, "expert1", groups=["experts"])
    tasks.complete(session, "expert1", now, row.id, {"score": 3})
    assert _open(session, inst.id) == [("conclude", "Conclude")]  # back in the parent after the call
    assert instances.current_data(session, inst, now)["score"] == 3


def test_call_activity_resolves_against_an_earlier_deployment(session, now) -> None:
    definitions.deploy(session, "designer", now, [_file("child_review.bpmn")])
    result = definitions.deploy(session, "designer", now, [_file("parent_call.bpmn")])
    assert [p.process_id for p in result.processes] == ["parent_case"]
    parent = definitions.get_version(session, "parent_case")
    assert parent.called_versions == {"child_review": 1}
    inst = instances.start(session, "alice", now, "parent_case")
    assert _open(session, inst.id) == [("expert_opinion", "Expert opinion")]


def test_missing_called_process_is_refused_naming_it(session, now) -> None:
    with pytest.raises(InvalidDefinition) as refused:
        definitions.deploy(session, "designer", now, [_file("parent_call.bpmn")])
    assert "child_review" in str(refused.value)
    [problem] = [p for p in refused.value.problems if p.severity == "error"]
    assert problem.code == "unknown-called-process" and problem.file == "parent_call.bpmn"
    assert "child_review" in problem.message and "parent_case" in problem.message
    assert definitions.latest_version(session, "parent_case") is None


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="lolz" isExecutable="true"><bpmn:startEvent id="s" name="&lol3;" /></bpmn:process>
</bpmn:definitions>
"""
XXE = b"""<?xml version="1.0"?>

<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="xxe" isExecutable="true"><bpmn:startEvent id="s" name="&xxe;" /></bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize(("filename", "content", "line"), [("laughs.bpmn", BILLION_LAUGHS, 2),
                                                            ("xxe.bpmn", XXE, 3)])
def test_hostile_xml_is_refused_with_file_and_line(session, now, filename, content, line) -> None:
    files = _count(session, DefinitionFile)
    with pytest.raises(InvalidDefinition) as refused:
        definitions.deploy(session, "designer", now, [_file("approval.bpmn"), (filename, content)])
    errors = [p for p in refused.value.problems if p.severity == "error"]
    assert errors and all(p.file == filename for p in errors)
    assert errors[0].line == line and errors[0].code == "doctype-forbidden"
    assert filename in str(refused.value)
    assert b"root:" not in str(refused.value).encode()
    # The whole batch is refused: the good file beside it was not stored either.
    assert _count(session, DefinitionFile) == files
    assert definitions.latest_version(session, "approval") is None
