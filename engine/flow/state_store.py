"""Where an instance's workflow state is kept: the last whole state plus what each step changed since.

A step compares the workflow's parts with the parts it was loaded from (engine/bpmn/state_parts.py)
and writes only the operations between them as one `instance_state_delta` row; a 会签 signature among
200 signers writes about a kilobyte instead of the whole state. The whole state is written again (and
the deltas deleted) when the instance ends, after CHANGES_BEFORE_FULL steps, or when the deltas together
have grown as large as the whole state, so a load never replays much. Every write happens in the step's
own transaction, after the version-checked UPDATE of the instance row, so a crash keeps either the
whole step or none of it, and two writers of one version cannot both add a delta."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from engine.bpmn import state_parts
from engine.bpmn.serializer import serializer
from engine.core.errors import EngineError
from engine.flow.models import Instance, InstanceStateDelta
from engine.flow.step_retry import StaleInstance

CHANGES_BEFORE_FULL = 128
SMALL_STATE = 8192  # below this many bytes, deltas may add up to this much before a whole write

_PARTS = "_govflow_state_parts"
_SIZES = "_govflow_state_sizes"  # (bytes of the whole state, bytes of the deltas since)


class BrokenState(EngineError):
    """The stored deltas do not match the instance row: refused rather than guessed."""


@dataclass
class Write:
    state: str | None  # the whole state, or None when only `ops` are written
    deltas: int  # the instance's delta count after this write
    ops: str | None
    parts: state_parts.Parts
    sizes: tuple[int, int]


Noted = tuple[state_parts.Parts, tuple[int, int]]  # what was stored: its parts and sizes


def read(session: Session, inst: Instance) -> tuple[dict[str, Any], Noted]:
    """The instance's state as a dictionary (its whole state with every delta applied in order), and
    what to note on the workflow loaded from it (taken now: loading consumes the dictionary)."""
    state = json.loads(inst.state)
    added = 0
    if inst.state_deltas:
        # Deltas past the row's count belong to a newer version committed since the row was read.
        rows = session.execute(select(InstanceStateDelta.seq, InstanceStateDelta.ops)
                               .where(InstanceStateDelta.instance_id == inst.id,
                                      InstanceStateDelta.seq <= inst.state_deltas)
                               .order_by(InstanceStateDelta.seq)).all()
        if [seq for seq, _ in rows] != list(range(1, inst.state_deltas + 1)):
            _missing(session, inst, len(rows))
        for _, ops in rows:
            state_parts.apply(state, json.loads(ops))
            added += len(ops)
    return state, (state_parts.split(state), (len(inst.state), added))


def _missing(session: Session, inst: Instance, found: int) -> None:
    """Deltas are missing: a newer version wrote the whole state since the row was read (a conflict
    the step retries), or the stored state is broken (refused)."""
    current = session.scalar(select(Instance.lock_version).where(Instance.id == inst.id)
                             .execution_options(populate_existing=True))
    if current != inst.lock_version:
        raise StaleInstance(f"instance {inst.id} was changed by someone else at the same time; reload and try again")
    raise BrokenState(f"案件 #{inst.id} 的状态记录不完整 / instance {inst.id}: expected "
                      f"{inst.state_deltas} state deltas, found {found}")


def loaded_from(wf: Any, noted: Noted) -> None:
    """Note on a workflow the stored state it was loaded from."""
    setattr(wf, _PARTS, noted[0])
    setattr(wf, _SIZES, noted[1])


def carry(old_wf: Any, new_wf: Any) -> None:
    """A workflow rebuilt from the same stored state keeps what is known about that state."""
    for name in (_PARTS, _SIZES):
        if hasattr(old_wf, name):
            setattr(new_wf, name, getattr(old_wf, name))


def whole(wf: Any) -> str:
    """The whole state of a new workflow, noted on it as stored."""
    parts = serializer().dump_parts(wf)
    text = state_parts.assemble(parts)
    setattr(wf, _PARTS, parts)
    setattr(wf, _SIZES, (len(text), 0))
    return text


def prepare(wf: Any, inst: Instance, ending: bool) -> Write:
    """What this step writes: operations since the stored state, or the whole state."""
    parts = serializer().dump_parts(wf)
    old = getattr(wf, _PARTS, None)
    base, added = getattr(wf, _SIZES, (0, 0))
    count = inst.state_deltas or 0
    if old is not None and not ending and count < CHANGES_BEFORE_FULL:
        ops = state_parts.diff(old, parts)
        if not ops:
            return Write(None, count, None, parts, (base, added))
        body = json.dumps(ops, separators=(",", ":"))
        if added + len(body) <= max(base, SMALL_STATE):
            return Write(None, count + 1, body, parts, (base, added + len(body)))
    text = state_parts.assemble(parts)
    return Write(text, 0, None, parts, (len(text), 0))


def finish(session: Session, inst: Instance, previous_deltas: int, wf: Any, write: Write) -> None:
    """After the instance row is written: add the delta row, or drop the deltas a whole write replaced."""
    if write.ops is not None:
        session.execute(insert(InstanceStateDelta), [{"instance_id": inst.id, "seq": write.deltas, "ops": write.ops}])
    elif write.state is not None and previous_deltas:
        session.execute(delete(InstanceStateDelta).where(InstanceStateDelta.instance_id == inst.id))
    setattr(wf, _PARTS, write.parts)
    setattr(wf, _SIZES, write.sizes)
