"""Deploying BPMN files: check, adapt, parse, store once per content hash, version per process id."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from engine.bpmn import runtime
from engine.bpmn.serializer import serializer
from engine.core.clock import to_db
from engine.core.errors import Conflict, InvalidDefinition, NotFound
from engine.core.problems import ERROR, WARNING, Problem, has_errors
from engine.flow import forms
from engine.flow.models import DefinitionFile, Instance, ProcessVersion
from engine.intake import batch
from engine.intake.batch import Batch
from engine.intake.lint import executable_process_ids
from engine.intake.task_forms import FormPlan


@dataclass
class DeployedProcess:
    process_id: str
    version: int
    name: str
    filename: str
    new: bool


@dataclass
class DeployResult:
    processes: list[DeployedProcess] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def check_batch(files: list[tuple[str, bytes]]) -> Batch:
    """Parse safely, adapt vendor dialects and lint the BPMN, DMN and form files of one upload."""
    return batch.check(files)


def check_files(files: list[tuple[str, bytes]]) -> tuple[dict[str, etree._ElementTree], list[Problem]]:
    """The adapted trees (BPMN and DMN) and every problem of an upload."""
    checked = check_batch(files)
    return {**checked.bpmn, **checked.dmn}, checked.problems


def deploy(session: Session, actor: str | None, now: datetime,
           files: list[tuple[str, bytes]]) -> DeployResult:
    """Deploy files together; refuses the whole batch with every problem if any file has an error."""
    checked = check_batch(files)
    problems, trees = checked.problems, {**checked.bpmn, **checked.dmn}
    if has_errors(problems):
        raise InvalidDefinition(_summary(problems), problems)
    wanted = {name: executable_process_ids(tree) for name, tree in checked.bpmn.items()}
    parsed, parse_problems = runtime.parse_batch(checked.bpmn, wanted, checked.dmn)
    problems.extend(parse_problems)
    if not has_errors(problems):
        _attach_forms(session, now, checked, parsed, problems)
    external = _resolve_calls(session, parsed, problems)
    problems[:] = batch.name_elements(problems, trees)
    if has_errors(problems):
        raise InvalidDefinition(_summary(problems), problems)
    contents = dict(files)
    result = DeployResult(problems=[p for p in problems if p.severity == WARNING])
    stored = {name: _store_file(session, actor, now, name, contents[name], problems) for name in trees}
    batch_specs = {p.process_id: p.spec for p in parsed}
    for proc in parsed:
        result.processes.append(_store_version(session, now, proc, stored[proc.filename], batch_specs, external))
    return result


def _attach_forms(session: Session, now: datetime, checked: Batch, parsed: list[runtime.ParsedProcess],
                  problems: list[Problem]) -> None:
    """Point every person's task at its form (engine/intake/task_forms.py): a shipped form it names, else
    the form read from the file or generated for it, stored once per content."""
    for proc in parsed:
        for spec in [proc.spec, *proc.local_subprocess_specs.values()]:
            plans = checked.forms.get(getattr(spec, "file", None) or proc.filename) or {}
            for task_spec in spec.task_specs.values():
                plan = plans.get(str(getattr(task_spec, "bpmn_id", ""))) if hasattr(task_spec, "extensions") else None
                key = _form_key(session, now, plan, problems, spec.file) if plan is not None else None
                if key is not None:
                    task_spec.extensions = dict(task_spec.extensions or {})
                    task_spec.extensions["govflow"] = {**task_spec.extensions.get("govflow", {}), "form": key}


def chosen_form(plan: FormPlan) -> str:
    """Which form a task gets: 'govflow' (a form of forms/ it names), 'stored' (read from the file or
    generated) or 'none' (the opinion box only)."""
    if plan.source in ("generic", "none") and plan.key and forms.has_form(forms.DEFAULT_DIR, plan.key):
        return "govflow"
    return "stored" if plan.definition is not None else "none"


def _form_key(session: Session, now: datetime, plan: FormPlan, problems: list[Problem], filename: str) -> str | None:
    choice = chosen_form(plan)
    if choice == "govflow":
        return plan.key
    if plan.key and plan.source in ("generic", "none"):
        problems.append(Problem(WARNING, "form-key-unknown", f"'{plan.task_name}' names the form '{plan.key}', "
                                "which govflow does not have (forms/); the task uses "
                                + ("a form built from the conditions after it" if plan.definition else
                                   "the opinion box only"), filename, plan.line, plan.element_id))
    if choice == "none" or plan.definition is None:
        return None
    try:
        return forms.store_form(session, now, plan.definition, plan.source)
    except InvalidDefinition as exc:
        problems.append(Problem(WARNING, "form-unusable", f"the form of '{plan.task_name}' cannot be shown "
                                f"({exc}); the task shows the opinion box only", filename, plan.line, plan.element_id))
        return None


def start_form(session: Session, process_id: str) -> forms.FormDefinition | None:
    """The form a process's start event defines (read from its file at deployment), if any."""
    spec, _ = load_specs(get_version(session, process_id))
    for task_spec in spec.task_specs.values():
        key = ((getattr(task_spec, "extensions", None) or {}).get("govflow") or {}).get("form")
        if key and type(task_spec).__name__ == "StartEvent" and spec.start in task_spec.inputs:
            return forms.find_form(forms.DEFAULT_DIR, key, session)
    return None


def _summary(problems: list[Problem]) -> str:
    errors = [p for p in problems if p.severity == ERROR]
    first = errors[0].format() if errors else ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"cannot deploy: {first}{more}"


def _resolve_calls(session: Session, parsed: list[runtime.ParsedProcess],
                   problems: list[Problem]) -> dict[str, tuple[ProcessVersion, Any, dict[str, Any]]]:
    """Call activities naming processes outside the batch use their latest deployed version."""
    external: dict[str, tuple[ProcessVersion, Any, dict[str, Any]]] = {}
    for proc in parsed:
        for name in proc.missing_calls:
            if name in external:
                continue
            version = latest_version(session, name)
            if version is None:
                problems.append(Problem(
                    ERROR, "unknown-called-process",
                    f"process {proc.process_id} calls process '{name}', which is neither in this upload "
                    f"nor deployed; deploy the file that defines '{name}' first or together", proc.filename))
                continue
            spec, subs = load_specs(version)
            external[name] = (version, spec, subs)
    return external


def _store_file(session: Session, actor: str | None, now: datetime, filename: str, content: bytes,
                problems: list[Problem]) -> DefinitionFile:
    digest = hashlib.sha256(content).hexdigest()
    existing = session.scalar(select(DefinitionFile).where(DefinitionFile.content_hash == digest))
    if existing is not None:
        return existing
    row = DefinitionFile(content_hash=digest, filename=filename, content=content, deployed_at=to_db(now),
                         deployed_by=actor,
                         problems=[p.to_dict() for p in problems if p.file == filename])
    session.add(row)
    _flush_or_conflict(session, f"file {filename}")
    return row


def _flush_or_conflict(session: Session, what: str) -> None:
    """A unique key taken by a concurrent deployment is a conflict to retry, not a database error."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{what} was deployed by someone else at the same time; deploy again") from exc


def _store_version(session: Session, now: datetime, proc: runtime.ParsedProcess, file: DefinitionFile,
                   batch_specs: dict[str, Any],
                   external: dict[str, tuple[ProcessVersion, Any, dict[str, Any]]]) -> DeployedProcess:
    latest = latest_version(session, proc.process_id)
    if latest is not None and latest.file_id == file.id:
        return DeployedProcess(proc.process_id, latest.version, latest.name, proc.filename, new=False)
    subs = dict(proc.local_subprocess_specs)
    called: dict[str, int] = {}
    for name in proc.missing_calls:
        version, spec, ext_subs = external[name]
        subs[name] = spec
        subs.update({k: v for k, v in ext_subs.items() if k not in subs})
        called[name] = version.version
    for name in runtime.called_processes(proc.spec, subs):
        subs.setdefault(name, batch_specs.get(name))
    ser = serializer()
    number = (latest.version if latest else 0) + 1
    spec_dict = ser.spec_to_dict(proc.spec)
    subs_dict = ser.specs_to_dict({k: v for k, v in subs.items() if v is not None})
    digest = hashlib.sha256(json.dumps([spec_dict, subs_dict], sort_keys=True, default=str).encode()).hexdigest()
    row = ProcessVersion(process_id=proc.process_id, version=number, name=proc.name, file_id=file.id,
                         spec=spec_dict, subprocess_specs=subs_dict, spec_hash=digest,
                         called_versions=called, deployed_at=to_db(now))
    session.add(row)
    _flush_or_conflict(session, f"process {proc.process_id} version {number}")
    return DeployedProcess(proc.process_id, number, proc.name, proc.filename, new=True)


# The serialized specs load only when the spec cache misses: every start looks its version up.
_LIGHT = (defer(ProcessVersion.spec), defer(ProcessVersion.subprocess_specs))
_LATEST = (select(ProcessVersion).where(ProcessVersion.process_id == bindparam("v_process"))
           .order_by(ProcessVersion.version.desc()).limit(1).options(*_LIGHT))
_NUMBERED = (select(ProcessVersion).where(ProcessVersion.process_id == bindparam("v_process"),
                                          ProcessVersion.version == bindparam("v_version")).options(*_LIGHT))


def latest_version(session: Session, process_id: str) -> ProcessVersion | None:
    return session.scalar(_LATEST, {"v_process": process_id})


def get_version(session: Session, process_id: str, version: int | None = None) -> ProcessVersion:
    """A deployed version (latest when `version` is None) or NotFound naming what exists."""
    row = latest_version(session, process_id) if version is None else session.scalar(
        _NUMBERED, {"v_process": process_id, "v_version": version})
    if row is None:
        raise NotFound(f"process '{process_id}'" + (f" version {version}" if version else "") + " is not deployed")
    return row


def list_versions(session: Session) -> list[tuple[ProcessVersion, int]]:
    """Every deployed version with the number of its instances."""
    counts = dict(session.execute(
        select(Instance.process_version_id, func.count()).group_by(Instance.process_version_id)).all())
    rows = session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version))
    return [(row, counts.get(row.id, 0)) for row in rows]


_SPEC_CACHE: OrderedDict[str, tuple[Any, dict[str, Any]]] = OrderedDict()
_SPEC_CACHE_SIZE = 256


def load_specs(version: ProcessVersion) -> tuple[Any, dict[str, Any]]:
    """Restored specs of a version, cached by content hash because they never change."""
    cached = _SPEC_CACHE.get(version.spec_hash)
    if cached is not None:
        _SPEC_CACHE.move_to_end(version.spec_hash)
        return cached
    ser = serializer()
    loaded = (ser.restore_spec(version.spec), ser.restore_specs(version.subprocess_specs))
    _SPEC_CACHE[version.spec_hash] = loaded
    if len(_SPEC_CACHE) > _SPEC_CACHE_SIZE:
        _SPEC_CACHE.popitem(last=False)
    return loaded
