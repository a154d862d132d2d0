"""Workflow state in parts, so a step can store what it changed instead of the whole state.

A saved workflow is a JSON object: the top level's values, its `tasks` by id, and `subprocesses` by id,
each again with values and `tasks`. Its parts are the JSON texts of each value and each task of each
level. Two saves are compared part by part (texts compare in one pass, without parsing); only a part
whose text differs is parsed again, and the change is written as operations on paths of the state:
`["s", path, value]` sets a value, `["a", path, items]` appends to a list, `["r", path]` removes one.
Within a changed task the operations go down to its fields and the keys of its data, and a list that
grew says only what was added, so one 会签 signature writes the signer's task and the few values that
moved, not the list of all signers. Applying the operations of every step to the last full state gives
the stored state back exactly (tests compare them on every scenario)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

TOP = ""  # the level id of the workflow itself; sub-process levels go by their task id
Level = tuple[dict[str, str], dict[str, str]]  # (values by key, tasks by id), each as JSON text
Parts = dict[str, Level]
Op = list[Any]
_CONTAINERS = ("tasks", "subprocesses")


def plain_dumps(value: Any) -> str:
    """The text a part of parsed state has: the same separators as the state's own encoder."""
    return json.dumps(value, separators=(",", ":"))


def split(state: dict[str, Any], dumps: Callable[[Any], str] = plain_dumps) -> Parts:
    """The parts of a state dictionary (as the serializer converts a workflow, or as parsed back)."""
    parts = {TOP: _level(state, dumps)}
    for sub_id, level in (state.get("subprocesses") or {}).items():
        parts[sub_id] = _level(level, dumps)
    return parts


def _level(level: dict[str, Any], dumps: Callable[[Any], str]) -> Level:
    values = {key: dumps(value) for key, value in level.items() if key not in _CONTAINERS}
    return values, {task_id: dumps(task) for task_id, task in (level.get("tasks") or {}).items()}


def assemble(parts: Parts) -> str:
    """The whole state as one JSON text, from its parts (nothing is encoded twice)."""
    subs = ",".join(f"{plain_dumps(sub_id)}:{_object(*level)}" for sub_id, level in parts.items() if sub_id != TOP)
    return _object(*parts[TOP], f'"subprocesses":{{{subs}}}')


def _object(values: dict[str, str], tasks: dict[str, str], more: str = "") -> str:
    """One level as a JSON object: its values, its tasks, then `more` (the top level's sub-processes)."""
    members = [_members(values), f'"tasks":{{{_members(tasks)}}}', more]
    return "{" + ",".join(m for m in members if m) + "}"


def _members(texts: dict[str, str]) -> str:
    return ",".join(f"{plain_dumps(key)}:{text}" for key, text in texts.items())


def diff(old: Parts, new: Parts) -> list[Op]:
    """Operations that turn the state of `old` into the state of `new`."""
    ops: list[Op] = []
    for sub_id in old:
        if sub_id not in new:
            ops.append(["r", ["subprocesses", sub_id]])
    for sub_id, (values, tasks) in new.items():
        base: list[str] = [] if sub_id == TOP else ["subprocesses", sub_id]
        if sub_id not in old:
            ops.append(["s", base, json.loads(_object(values, tasks))])
            continue
        old_values, old_tasks = old[sub_id]
        _diff_texts(ops, base, old_values, values, depth=1)
        _diff_texts(ops, base + ["tasks"], old_tasks, tasks, depth=2)
    return ops


def _diff_texts(ops: list[Op], path: list[str], old: dict[str, str], new: dict[str, str], depth: int) -> None:
    for key in old:
        if key not in new:
            ops.append(["r", path + [key]])
    for key, text in new.items():
        before = old.get(key)
        if before is None:
            ops.append(["s", path + [key], json.loads(text)])
        elif before != text:
            _diff_values(ops, path + [key], json.loads(before), json.loads(text), depth)


def _diff_values(ops: list[Op], path: list[str], old: Any, new: Any, depth: int) -> None:
    if isinstance(old, list) and isinstance(new, list) and len(old) < len(new) and new[:len(old)] == old:
        ops.append(["a", path, new[len(old):]])  # a list that grew at its end, like a countersign's merged signers
        return
    if depth <= 0 or not isinstance(old, dict) or not isinstance(new, dict):
        ops.append(["s", path, new])
        return
    for key in old:
        if key not in new:
            ops.append(["r", path + [key]])
    for key, value in new.items():
        if key not in old:
            ops.append(["s", path + [key], value])
        elif old[key] != value:
            _diff_values(ops, path + [key], old[key], value, depth - 1)


def apply(state: dict[str, Any], ops: list[Op]) -> dict[str, Any]:
    """Apply operations in place (and return the state). A path that goes through a missing key is a
    state that was not written by `diff`: refused, never guessed."""
    for op in ops:
        kind, path = op[0], op[1]
        if not path:
            if kind != "s" or not isinstance(op[2], dict):
                raise ValueError("a whole-state operation must set an object")
            state.clear()
            state.update(op[2])
            continue
        node: Any = state
        for key in path[:-1]:
            node = node[key]
        if kind == "s":
            node[path[-1]] = op[2]
        elif kind == "a":
            node[path[-1]].extend(op[2])
        elif kind == "r":
            del node[path[-1]]
        else:
            raise ValueError(f"unknown state operation {kind!r}")
    return state
