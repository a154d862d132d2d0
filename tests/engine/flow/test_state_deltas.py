"""A step stores what it changed in the workflow state; the stored state stays exact.

(tests/conformance/test_state_format.py compares the stored state, deltas applied, with SpiffWorkflow's
own conversion after every step of every corpus scenario.)"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn import state_parts
from engine.bpmn.serializer import serializer
from engine.flow import definitions, instances, state_store, tasks
from engine.flow.models import Instance, InstanceStateDelta
from engine.org import directory as org

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn"

_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                       max_leaves=6)
_task = st.fixed_dictionaries({"state": st.integers(0, 64), "data": st.dictionaries(st.text(max_size=3), _values, max_size=4),
                               "children": st.lists(st.text(max_size=3), max_size=3)})
_tasks = st.dictionaries(st.sampled_from([f"t{i}" for i in range(6)]), _task, max_size=5)
_level = st.fixed_dictionaries({"data": st.dictionaries(st.text(max_size=3), _values, max_size=3),
                                "completed": st.booleans(), "tasks": _tasks})
_state = st.fixed_dictionaries({"data": st.dictionaries(st.text(max_size=3), _values, max_size=4),
                                "success": st.booleans(), "tasks": _tasks,
                                "subprocesses": st.dictionaries(st.sampled_from(["s1", "s2", "s3"]), _level, max_size=3),
                                "bpmn_events": st.lists(_values, max_size=2)})


@settings(max_examples=300, deadline=None)
@given(old=_state, new=_state)
def test_operations_turn_one_state_into_the_other(old: dict[str, Any], new: dict[str, Any]) -> None:
    ops = state_parts.diff(state_parts.split(old), state_parts.split(new))
    through_json = json.loads(json.dumps(ops))  # as stored
    assert state_parts.apply(copy.deepcopy(old), through_json) == new
    assert json.loads(state_parts.assemble(state_parts.split(new))) == new


def test_an_unchanged_state_has_no_operations_and_a_changed_value_only_its_own() -> None:
    state = {"data": {"a": 1}, "tasks": {"t": {"state": 8, "data": {"x": [1, 2], "y": "keep"}}}, "subprocesses": {}}
    assert state_parts.diff(state_parts.split(state), state_parts.split(copy.deepcopy(state))) == []
    changed = copy.deepcopy(state)
    changed["tasks"]["t"]["data"]["x"] = [1, 2, 3]
    assert state_parts.diff(state_parts.split(state), state_parts.split(changed)) == [
        ["a", ["tasks", "t", "data", "x"], [3]]]  # a list that grew says only what it gained
    changed["tasks"]["t"]["data"]["x"] = [2]
    assert state_parts.diff(state_parts.split(state), state_parts.split(changed)) == [
        ["s", ["tasks", "t", "data", "x"], [2]]]


def _countersign(session: Session, now: datetime, signers: int) -> int:
    departments = [f"d{i:03d}" for i in range(signers)]
    for dept in departments:
        org.create_user(session, f"{dept}_boss", groups=[f"{dept}_leader"], department=dept)
    org.create_user(session, "drafter")
    org.create_user(session, "office_clerk", groups=["office"])
    fixture = FIXTURES / "countersign_departments.bpmn"
    definitions.deploy(session, "admin", now, [(fixture.name, fixture.read_bytes())])
    return instances.start(session, "drafter", now, "countersign_departments", {"departments": departments}).id


def _delta_bytes(session: Session, instance_id: int) -> list[int]:
    return list(session.scalars(select(func.length(InstanceStateDelta.ops))
                                .where(InstanceStateDelta.instance_id == instance_id).order_by(InstanceStateDelta.seq)))


def _sign(session: Session, now: datetime, instance_id: int, count: int) -> None:
    # By department code: tasks opened at the same moment come in no defined order, and only the first
    # departments' heads have accounts in the test with the larger countersign.
    signing = sorted((t for t in tasks.open_for_instance(session, instance_id) if t.element_id == "sign"),
                     key=lambda t: t.properties["item"])
    for task in signing[:count]:
        tasks.complete(session, f"{task.properties['item']}_boss", now, task.id, {"agree": True})


def test_a_signature_among_200_writes_a_small_delta_and_the_state_reloads_exact(session: Session, now: datetime) -> None:
    inst_id = _countersign(session, now, 200)
    whole = len(session.get(Instance, inst_id).state)
    _sign(session, now, inst_id, 10)
    sizes = _delta_bytes(session, inst_id)
    # The first signature also rewrites each signer's data bookkeeping once; every later one is small.
    assert len(sizes) == 10 and max(sizes[1:]) <= 2000 and sum(sizes) / len(sizes) <= 5000 < whole / 10, (sizes, whole)
    inst = session.get(Instance, inst_id)
    live = json.loads(serializer().dump(instances.load(session, inst, now).wf))
    assert state_store.read(session, inst)[0] == live
    instances.CACHE.clear()  # the next signer works from the database: base state plus ten deltas
    session.expire_all()
    _sign(session, now, inst_id, 1)
    assert len([t for t in tasks.open_for_instance(session, inst_id) if t.element_id == "sign"]) == 189
    assert session.get(Instance, inst_id).state_deltas == 11


def test_delta_size_does_not_grow_with_the_number_of_signers(session: Session, now: datetime) -> None:
    few, many = _countersign(session, now, 5), None
    _sign(session, now, few, 3)
    many = instances.start(session, "drafter", now, "countersign_departments",
                           {"departments": [f"d{i:03d}" for i in range(200)]}).id
    _sign(session, now, many, 3)
    _sign(session, now, few, 1)
    _sign(session, now, many, 1)
    small, large = _delta_bytes(session, few), _delta_bytes(session, many)
    assert len(small) == len(large) == 4
    assert max(large[1:]) <= 2 * max(small[1:]), (small, large)  # the merged signers are appended, not rewritten


def test_the_whole_state_is_written_again_when_the_case_ends_or_deltas_pile_up(session: Session, now: datetime) -> None:
    inst_id = _countersign(session, now, 80)
    _sign(session, now, inst_id, 70)
    inst = session.get(Instance, inst_id)
    assert 0 < inst.state_deltas < state_store.CHANGES_BEFORE_FULL  # a whole write reset the count on the way
    assert len(_delta_bytes(session, inst_id)) == inst.state_deltas
    _sign(session, now, inst_id, 10)
    (after,) = tasks.open_for_instance(session, inst_id)
    tasks.complete(session, "office_clerk", now, after.id, {})
    inst = session.get(Instance, inst_id)
    assert inst.status == "completed" and inst.state_deltas == 0 and _delta_bytes(session, inst_id) == []
    assert json.loads(inst.state)["completed"] is True
