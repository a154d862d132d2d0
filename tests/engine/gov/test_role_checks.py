"""Rights come from group membership; a department's code only matches BPMN lanes and candidates."""

from __future__ import annotations

from pathlib import Path

from engine.flow import access, definitions, instances
from engine.gov import supervision
from engine.org import directory as org

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn"
DATA = {"dept": "dept_tax", "backup": "bob", "deadline": "2026-11-10T09:00:00+08:00", "urgency": 80}


def test_oversight_comes_from_groups_not_department_codes(session, now) -> None:
    """A department coded like a role ('supervisor') grants none of its rights."""
    definitions.deploy(session, "designer", now, [("approval.bpmn", (FIXTURES / "approval.bpmn").read_bytes())])
    org.create_user(session, "alice")
    inst = instances.start(session, "alice", now, "approval", DATA)
    org.create_user(session, "by_dept", department="supervisor")
    org.create_user(session, "by_group", groups=["supervisor"])
    assert not supervision.may_supervise(session, "by_dept")
    assert not access.may_view(session, "by_dept", inst)
    assert supervision.may_supervise(session, "by_group")
    assert access.may_view(session, "by_group", inst)
