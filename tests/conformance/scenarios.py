"""A small driver over the engine's public services for running corpus files start to end.

A scenario deploys files, starts instances, works their open tasks as a person allowed to (assignee,
candidate user or a member of a candidate group, created on demand), delivers messages and signals and
moves time forward for timers. With `reload=True` every step first drops the workflow and spec caches
and expires the session, so each step deserializes the instance from the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import CONFORMANCE_DIR
from sqlalchemy.orm import Session

from engine.bpmn import runtime
from engine.core import audit
from engine.flow import definitions, forms, instances, tasks
from engine.flow.models import HumanTask, Instance
from engine.org import directory as org
from tests.conftest import forget_live_objects

STARTER = "applicant"
EXTRA_DIR = Path(__file__).resolve().parent / "extra"  # files we wrote ourselves, named "extra/..."
Scenario = Callable[["Run"], None]


@dataclass
class Registered:
    name: str
    files: tuple[str, ...]
    body: Scenario


REGISTRY: dict[str, Registered] = {}
EXTRA: dict[str, Registered] = {}


def scenario(*files: str) -> Callable[[Scenario], Scenario]:
    """Register a scenario that exercises the given corpus files (or extra/ files, kept apart)."""

    def wrap(body: Scenario) -> Scenario:
        name = body.__name__.removeprefix("run_")
        table = EXTRA if files and all(f.startswith("extra/") for f in files) else REGISTRY
        assert name not in REGISTRY and name not in EXTRA, f"duplicate scenario {name}"
        table[name] = Registered(name, files, body)
        return body

    return wrap


def source(name: str) -> bytes:
    """A corpus file's bytes, or one of ours under extra/."""
    if name.startswith("extra/"):
        return (EXTRA_DIR / name.removeprefix("extra/")).read_bytes()
    return (CONFORMANCE_DIR / name).read_bytes()


def _username(group: str) -> str:
    cleaned = re.sub(r"\s+", "_", group.strip())
    return f"member.{cleaned}"[:64]


@dataclass
class Run:
    """One scenario's world: a session, a moving clock and the people who work the tasks."""

    session: Session
    now: datetime
    reload: bool
    functions: dict[str, Any] = field(default_factory=dict)
    steps: int = 0

    def __post_init__(self) -> None:
        self.user(STARTER)

    # --- people ------------------------------------------------------------------------------------
    def user(self, username: str, *groups: str) -> str:
        found = org.find_user(self.session, username)
        if found is None:
            found = org.create_user(self.session, username, groups=list(groups))
        else:
            for group in groups:
                org.add_to_group(self.session, found, group)
        return username

    def worker(self, row: HumanTask) -> str:
        """Someone the task's assignment lets work it (never an administrator)."""
        if row.assignee:
            return self.user(row.assignee)
        users = [c.value for c in row.candidates if c.kind == "user"]
        if users:
            return self.user(users[0])
        groups = sorted(c.value for c in row.candidates if c.kind == "group")
        assert groups, f"task {row.name} has no assignee and no candidates"
        return self.user(_username(groups[0]), groups[0])

    # --- steps -------------------------------------------------------------------------------------
    def step(self) -> None:
        """Before each step in reload mode: forget every live object so state comes from the database."""
        self.steps += 1
        if self.reload:
            forget_live_objects(self.session)

    def deploy(self, *files: str) -> definitions.DeployResult:
        self.step()
        batch = [(name, source(name)) for name in files]
        return definitions.deploy(self.session, "designer", self.now, batch)

    def start(self, process_id: str, data: dict[str, Any] | None = None, actor: str = STARTER) -> Case:
        self.step()
        self.user(actor)
        inst = instances.start(self.session, actor, self.now, process_id, data)
        return Case(self, inst.id)

    def advance(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)


@dataclass
class Case:
    """One instance being driven."""

    run: Run
    id: int

    @property
    def session(self) -> Session:
        return self.run.session

    @property
    def instance(self) -> Instance:
        return instances.get(self.session, self.id)

    @property
    def status(self) -> str:
        return self.instance.status

    def open(self) -> list[HumanTask]:
        return tasks.open_for_instance(self.session, self.id)

    def names(self) -> list[str]:
        return sorted(row.name for row in self.open())

    def task(self, name: str) -> HumanTask:
        """The single open task with this name or element id."""
        rows = [r for r in self.open() if name in (r.name, r.element_id)]
        assert len(rows) == 1, f"expected one open task '{name}', open: {self.names()}"
        return rows[0]

    def complete(self, name: str, data: dict[str, Any] | None = None, actor: str | None = None) -> HumanTask:
        self.run.step()
        row = self.task(name)
        who = actor or self.run.worker(row)
        assert tasks.may_work(self.session, row, who), f"{who} may not work {row.name}"
        return tasks.complete(self.session, who, self.run.now, row.id, data)

    def form(self, name: str) -> forms.FormDefinition | None:
        """The form the inbox shows for the open task (a shipped form, or one stored at deployment)."""
        row = self.task(name)
        return forms.find_form(forms.DEFAULT_DIR, row.form_key, self.session) if row.form_key else None

    def submit(self, name: str, raw: dict[str, Any], actor: str | None = None) -> HumanTask:
        """Complete the task the way the inbox does: the submission is validated by the task's form."""
        definition = self.form(name)
        assert definition is not None, f"task {name} has no form"
        data = forms.validate_submission(definition, raw)
        opinion = forms.opinion_field(definition)
        self.run.step()
        row = self.task(name)
        who = actor or self.run.worker(row)
        return tasks.complete(self.session, who, self.run.now, row.id, data,
                              str(data.get(opinion) or "") or None if opinion else None)

    def complete_all(self, name: str, data_for: Callable[[HumanTask], dict[str, Any]]) -> int:
        """Complete every open task of that name (multi-instance), each with its own data."""
        count = 0
        for row in [r for r in self.open() if name in (r.name, r.element_id)]:
            self.run.step()
            row = tasks.get(self.session, row.id)
            tasks.complete(self.session, self.run.worker(row), self.run.now, row.id, data_for(row))
            count += 1
        return count

    def message(self, name: str, payload: dict[str, Any] | None = None) -> None:
        self.run.step()
        instances.send_message(self.session, STARTER, self.run.now, self.id, name, payload)

    def wait(self, **delta: float) -> None:
        """Let time pass; the scheduler's due-timer query must find the instance, then its timers fire."""
        self.run.advance(**delta)
        self.run.step()
        assert self.id in instances.due_timer_instances(self.session, self.run.now), "no timer is due"
        instances.fire_timers(self.session, self.run.now, self.id)

    # --- outcomes ----------------------------------------------------------------------------------
    def data(self) -> dict[str, Any]:
        self.run.step()
        return instances.current_data(self.session, self.instance, self.run.now)

    def reached(self) -> set[str]:
        """Element ids of every completed step, sub-processes and call activities included."""
        self.run.step()
        inst = self.instance
        loaded = instances.load(self.session, inst, self.run.now)
        found: set[str] = set()
        runtime.walk_completed(loaded.wf, lambda t: found.add(str(getattr(t.task_spec, "bpmn_id", None))))
        instances.CACHE.put((inst.uid, inst.lock_version), loaded.wf)
        return found

    def worked(self) -> list[str]:
        """Names of completed human tasks in audit order (loops show up as repeats)."""
        return [e.detail.get("name", "") for e in audit.trail(self.session, self.id) if e.action == "complete"]

    def finished(self, *end_events: str, not_reached: tuple[str, ...] = ()) -> dict[str, Any]:
        """Assert the instance completed through these elements and not those; return its final data."""
        assert self.status == instances.COMPLETED, f"status {self.status}, open: {self.names()}"
        reached = self.reached()
        missing = [e for e in end_events if e not in reached]
        assert not missing, f"did not reach {missing}"
        wrong = [e for e in not_reached if e in reached]
        assert not wrong, f"unexpectedly reached {wrong}"
        return self.data()
