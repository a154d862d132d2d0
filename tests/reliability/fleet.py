"""Several processes on one PostgreSQL at once: scheduler processes firing due deadlines (statutory
clocks) and BPMN timers, worker processes completing tasks of the very cases whose timers fire.

The case model runs two branches: 'work' (a user task the workers complete) and a one-hour timer
followed by 'after'; both join before the end. So a worker's completion and a scheduler's firing hit
the same instance at the same moment, and the instance step retry (engine.flow.step_retry) must
let both succeed. `run` returns what every process did; `verdict` counts duplicates and losses.
tests/reliability/test_fleet.py runs it bounded; benchmarks/reliability_fleet.py runs 10,000/1,000.

Run as a program it is one of those processes: `fleet.py scheduler URL MOMENT` or `fleet.py worker URL
MOMENT TASK_ID...`; it waits for a line on stdin, works, and prints a JSON line of what it did.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from engine.clocks import policies as clock_policies  # noqa: E402
from engine.clocks.models import Clock  # noqa: E402
from engine.core.clock import to_db  # noqa: E402
from engine.core.db import make_engine, make_sessionmaker  # noqa: E402
from engine.core.errors import EngineError  # noqa: E402
from engine.core.models import AuditEvent  # noqa: E402
from engine.flow import definitions, instances, step_retry, tasks  # noqa: E402
from engine.flow.models import HumanTask, Instance  # noqa: E402
from engine.ops import scheduler  # noqa: E402
from engine.org import directory as org  # noqa: E402

NOW = datetime(2026, 11, 2, 1, tzinfo=UTC)
MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="fleet" targetNamespace="http://govflow.example/tests">
  <bpmn:process id="fleet_case" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="fork"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:outgoing>f3</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="work" name="Work" camunda:assignee="worker"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:intermediateCatchEvent id="wait" name="One hour"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:parallelGateway id="join"><bpmn:incoming>f4</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f6</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="after" name="After" camunda:assignee="worker"><bpmn:incoming>f6</bpmn:incoming>
      <bpmn:outgoing>f7</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f7</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="work"/>
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="wait"/>
    <bpmn:sequenceFlow id="f4" sourceRef="work" targetRef="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="wait" targetRef="join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="after"/>
    <bpmn:sequenceFlow id="f7" sourceRef="after" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _fresh_ids(state: str) -> tuple[str, dict[str, str]]:
    mapping: dict[str, str] = {}
    return _UUID.sub(lambda m: mapping.setdefault(m.group(), str(uuid.uuid4())), state), mapping


def setup(url: str, deadlines: int, timers: int) -> dict[str, list[Any]]:
    """`timers` cases waiting at 'work' and a one-hour timer, `deadlines` clocks due at NOW + 1h."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        org.create_user(session, "worker")
        clock_policies.seed_policies(session)
        definitions.deploy(session, "worker", NOW, [("fleet.bpmn", MODEL.encode())])
        first = instances.start(session, "worker", NOW, "fleet_case")
        template = {c.key: getattr(first, c.key) for c in Instance.__table__.columns if c.key != "id"}
        (work,) = tasks.open_for_instance(session, first.id)
        task_template = {c.key: getattr(work, c.key) for c in HumanTask.__table__.columns}
        task_rows = []
        for _ in range(timers - 1):
            state, mapping = _fresh_ids(first.state)
            inst_id = session.execute(insert(Instance).returning(Instance.id),
                                      [dict(template, uid=uuid.uuid4().hex, state=state)]).scalar_one()
            task_rows.append(dict(task_template, id=mapping[work.id], instance_id=inst_id))
        if task_rows:
            session.execute(insert(HumanTask), task_rows)
        due = to_db(NOW + timedelta(hours=1))
        if deadlines:
            session.execute(insert(Clock), [dict(
                policy_code="xk_decision", legal_basis="行政许可法 第四十二条", unit="wd", limit_days=20,
                extended_days=0, started_at=to_db(NOW - timedelta(days=30)), due_at=due, warn_at=due,
                provisional=False, status="running", warning_level="none", active=True, next_check_at=due,
                used_working_days=0, lock_version=1) for _ in range(deadlines)])
    with sessions() as session:
        found: dict[str, list[Any]] = {"clocks": list(session.scalars(select(Clock.id))),
                 "timers": list(session.scalars(select(Instance.id))),
                 "tasks": list(session.scalars(select(HumanTask.id).where(HumanTask.element_id == "work")))}
    engine.dispose()
    return found


def _scheduler(url: str, moment: datetime) -> dict[str, list[Any]]:
    sessions = make_sessionmaker(make_engine(url))
    fired: dict[str, list[Any]] = {"clocks": [], "timers": [], "failed": []}
    while True:
        report = scheduler.tick(sessions, moment, batch=50)
        fired["clocks"] += report.clocks
        fired["timers"] += report.timers
        fired["failed"] += [f"{kind} {item}: {why}" for kind, item, why in report.failed]
        if report.fired == 0 and not report.failed:
            return fired


def _worker(url: str, moment: datetime, task_ids: list[str]) -> dict[str, list[Any]]:
    sessions = make_sessionmaker(make_engine(url))
    done: dict[str, list[Any]] = {"completed": [], "failed": [], "retries": []}
    for task_id in task_ids:
        with sessions() as session:
            try:
                tasks.complete(session, "worker", moment, task_id, {"ok": True})
                session.commit()
                done["completed"].append(task_id)
            except EngineError as exc:
                session.rollback()
                done["failed"].append(f"{task_id}: {exc}")
    done["retries"] = [step_retry.RETRIES_SEEN[0]]
    return done


@dataclass
class Outcome:
    """What every process reported, and what the database holds afterwards."""

    schedulers: list[dict[str, list[Any]]] = field(default_factory=list)
    workers: list[dict[str, list[Any]]] = field(default_factory=list)
    timer_events: dict[int, int] = field(default_factory=dict)
    after_rows: dict[int, int] = field(default_factory=dict)
    open_after: int = 0


def run(url: str, setup_ids: dict[str, list[Any]], schedulers: int = 2, workers: int = 2,
        timeout: float = 1500) -> Outcome:
    """Start the processes together, wait for them, read the result."""
    # Schedulers tick at NOW + 2h (every timer and deadline is due); workers act at NOW + 30 min, before
    # the timers are due, so only the schedulers fire them, while the workers change the same cases.
    late, early = (NOW + timedelta(hours=2)).isoformat(), (NOW + timedelta(minutes=30)).isoformat()
    share = [setup_ids["tasks"][n::workers] for n in range(workers)]
    commands = [[sys.executable, __file__, "scheduler", url, late] for _ in range(schedulers)]
    commands += [[sys.executable, __file__, "worker", url, early, *part] for part in share]
    children = [subprocess.Popen(command, cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE) for command in commands]
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    reports = []
    for child in children:
        out, err = child.communicate(timeout=timeout)
        if child.returncode != 0:
            raise RuntimeError(f"a fleet process failed: {err[-2000:]}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    outcome = Outcome(schedulers=reports[:schedulers], workers=reports[schedulers:])
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        outcome.timer_events = {int(i or 0): int(n) for i, n in session.execute(select(
            AuditEvent.instance_id, func.count()).where(AuditEvent.action == "timer").group_by(AuditEvent.instance_id))}
        outcome.after_rows = {int(i): int(n) for i, n in session.execute(select(
            HumanTask.instance_id, func.count()).where(HumanTask.element_id == "after").group_by(HumanTask.instance_id))}
        outcome.open_after = session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.element_id == "after", HumanTask.status == "open")) or 0
    engine.dispose()
    return outcome


def verdict(setup_ids: dict[str, list[Any]], outcome: Outcome) -> dict[str, int]:
    """Exactly-once figures: expected, fired once, fired twice or more, lost; completions likewise."""
    clocks = [c for s in outcome.schedulers for c in s["clocks"]]
    timers = [t for s in outcome.schedulers for t in s["timers"]]
    completed = [t for w in outcome.workers for t in w["completed"]]
    expected = len(setup_ids["clocks"]) + len(setup_ids["timers"])
    fired = set(timers)
    timers_once = [t for t in setup_ids["timers"]
                   if t in fired and outcome.timer_events.get(t) == 1 and outcome.after_rows.get(t) == 1]
    once = len(set(clocks) & set(setup_ids["clocks"])) + len(timers_once)
    return {
        "expected": expected, "fired_once": once,
        "duplicated": (len(clocks) - len(set(clocks))) + (len(timers) - len(fired))
        + sum(1 for n in outcome.timer_events.values() if n > 1) + sum(1 for n in outcome.after_rows.values() if n > 1),
        "lost": (len(setup_ids["clocks"]) - len(set(clocks) & set(setup_ids["clocks"])))
        + (len(setup_ids["timers"]) - len(fired & set(setup_ids["timers"]))),
        "completions_expected": len(setup_ids["tasks"]), "completed": len(set(completed)),
        "completions_duplicated": len(completed) - len(set(completed)),
        "failed": sum(len(s["failed"]) for s in outcome.schedulers) + sum(len(w["failed"]) for w in outcome.workers),
        "cases_at_after": outcome.open_after, "retries": sum(w["retries"][0] for w in outcome.workers),
    }


def main(argv: list[str]) -> None:
    role, url, moment = argv[0], argv[1], datetime.fromisoformat(argv[2])
    sys.stdin.readline()  # start together with the others
    result = _scheduler(url, moment) if role == "scheduler" else _worker(url, moment, argv[3:])
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
