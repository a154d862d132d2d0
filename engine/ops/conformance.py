"""Try every BPMN file of a directory in a scratch database and say what deploys and why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.pool import StaticPool

from engine.core.clock import SystemClock
from engine.core.db import make_engine, make_sessionmaker
from engine.core.errors import InvalidDefinition
from engine.core.problems import ERROR, Problem
from engine.flow import definitions
from engine.ops.assembly import Base

PATTERNS = ("*.bpmn", "*.bpmn20.xml", "*.bpmn2")


@dataclass
class Entry:
    file: str
    status: str
    processes: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != ERROR]

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "status": self.status, "processes": self.processes, "reason": self.reason,
                "errors": [p.to_dict() for p in self.problems if p.severity == ERROR],
                "warnings": [p.to_dict() for p in self.warnings]}

    def line(self) -> str:
        if self.status == "deployed":
            names = ", ".join(f"{p['process_id']} v{p['version']}" for p in self.processes)
            extra = f"; {len(self.warnings)} warning(s)" if self.warnings else ""
            return f"{self.file}: deployed ({names}){extra}"
        return f"{self.file}: refused ({self.reason})"


def find_files(directory: Path) -> list[Path]:
    found = {p for pattern in PATTERNS for p in directory.rglob(pattern) if p.is_file()}
    return sorted(found)


def check_directory(directory: Path) -> list[Entry]:
    """Deploy each file alone; files refused only for a missing called process are retried after others."""
    engine = make_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    now = SystemClock().now()
    paths = find_files(directory)
    results: dict[Path, Entry] = {}
    pending = list(paths)
    while pending:
        retry = []
        for path in pending:
            entry = _try(sessions, now, directory, path)
            results[path] = entry
            if entry.status == "refused" and _only_missing_calls(entry):
                retry.append(path)
        if len(retry) == len(pending):
            break
        pending = retry
    engine.dispose()
    return [results[p] for p in paths]


def _try(sessions: Any, now: Any, directory: Path, path: Path) -> Entry:
    name = str(path.relative_to(directory))
    with sessions() as session:
        try:
            result = definitions.deploy(session, "conformance", now, [(name, path.read_bytes())])
        except InvalidDefinition as exc:
            session.rollback()
            errors = [p for p in exc.problems if p.severity == ERROR]
            reason = errors[0].message if errors else str(exc)
            return Entry(name, "refused", reason=reason, problems=exc.problems)
        session.commit()
    processes = [{"process_id": p.process_id, "version": p.version, "name": p.name} for p in result.processes]
    return Entry(name, "deployed", processes=processes, problems=result.problems)


def _only_missing_calls(entry: Entry) -> bool:
    errors = [p for p in entry.problems if p.severity == ERROR]
    return bool(errors) and all(p.code == "unknown-called-process" for p in errors)
