"""Finished instances per second: SpiffWorkflow alone in memory vs govflow's engine on real databases.

One finished instance is defined by ../shared/bench/README.md: start, complete `apply`
({"applicant": "Alice", "amount": 5}), `review_a` ({"approve_a": true}) and `review_b`
({"approve_b": true}). Every system runs in the same process and the rounds are interleaved
(raw, SQLite, PostgreSQL, raw, ...) so a noisy machine slows all of them alike; figures are
medians over the rounds and the ratios compare each engine figure with raw SpiffWorkflow measured
in this very run.

    python3 benchmarks/engine_throughput.py                      # raw + SQLite
    python3 benchmarks/engine_throughput.py --pg-url postgresql://user@host:port/postgres
    GOVFLOW_BENCH_PG_URL=... python3 benchmarks/engine_throughput.py --json

The PostgreSQL URL must allow CREATE DATABASE: a fresh database is created for the run and
dropped afterwards. Nothing here relaxes durability: the engine uses engine/db.py's settings
(SQLite WAL + synchronous=NORMAL, PostgreSQL defaults) and commits every step on its own.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CEILING_GOAL = 0.6  # issue "Fast where users wait": the engine reaches 0.6 of what its own parts allow
DEFAULT_MODEL = ROOT.parent / "shared" / "bench" / "joint_review.bpmn"
PROCESS_ID = "joint_review"
START_USER = "alice"
# (element id, who completes it, form data) -- exactly bench/README.md's definition.
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("apply", "alice", {"applicant": "Alice", "amount": 5}),
    ("review_a", "bob", {"approve_a": True}),
    ("review_b", "carol", {"approve_b": True}),
]
# Lane names of the model resolve to candidate groups; each worker is an ordinary member.
ORG = {"alice": ["Process Initiator"], "bob": ["group1"], "carol": ["group2"]}
# Taken from ../shared/bench/README.md, not measured here.
README_REFERENCE = {
    "spiffworkflow_in_memory_readme": 349.0,
    "spiffworkflow_json_save_load_readme": 104.0,
    "spiff_arena_sqlite_rest_readme": 2.7,
}


# --------------------------------------------------------------------------- raw SpiffWorkflow


class RawSpiff:
    """SpiffWorkflow 3.2.0 as shipped: plain BpmnParser, default script engine, parse once."""

    label = "raw SpiffWorkflow, in memory"

    def __init__(self, model: Path, persist: bool = False):
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.util.task import TaskState

        parser = BpmnParser()
        parser.add_bpmn_file(str(model))
        self.spec = parser.get_spec(PROCESS_ID)
        self.subs = parser.get_subprocess_specs(PROCESS_ID)
        self.workflow_class = BpmnWorkflow
        self.ready = TaskState.READY
        self.persist = persist
        self.serializer = BpmnWorkflowSerializer() if persist else None
        if persist:
            self.label = "raw SpiffWorkflow, full JSON save+load at each wait state"

    def setup(self) -> None:
        pass

    def _roundtrip(self, wf: Any) -> Any:
        if self.serializer is None:
            return wf
        return self.serializer.deserialize_json(self.serializer.serialize_json(wf))

    def run(self, n: int) -> None:
        for _ in range(n):
            wf = self.workflow_class(self.spec, self.subs)
            wf.do_engine_steps()
            for element_id, _who, data in STEPS:
                wf = self._roundtrip(wf)
                task = wf.get_next_task(state=self.ready, manual=True, spec_name=element_id)
                task.set_data(**data)
                task.run()
                wf.do_engine_steps()
            if not wf.completed:
                raise RuntimeError("raw SpiffWorkflow instance did not finish")

    def teardown(self) -> None:
        pass


class EngineInMemory:
    """govflow's runtime without a database: the same parse, sandbox, steps and one state save per
    wait state as the engine. What is left once the database is taken away (the ceiling)."""

    label = "govflow runtime in memory (steps + state save, no database)"

    def __init__(self, model: Path):
        self.model = model

    def setup(self) -> None:
        from engine.flow import definitions

        engine = GovflowEngine("setup", self.model, "sqlite://")
        engine.setup()
        with engine.sessions() as session:
            self.spec, self.subs = definitions.load_specs(definitions.get_version(session, PROCESS_ID))
        engine.teardown()

    def run(self, n: int) -> None:
        from engine.bpmn import runtime
        from engine.bpmn.sandbox import make_script_engine
        from engine.bpmn.serializer import serializer

        for _ in range(n):
            wf = runtime.new_workflow(self.spec, self.subs, make_script_engine(), {"initiator": START_USER})
            serializer().dump(wf)
            for element_id, _who, data in STEPS:
                task = next(t for t in runtime.open_tasks(wf) if t.element_id == element_id)
                runtime.complete_task(wf, task.id, dict(data))
                serializer().dump(wf)
            if not runtime.is_completed(wf):
                raise RuntimeError("in-memory instance did not finish")

    def teardown(self) -> None:
        pass


class BareTransactions:
    """Four committed transactions per instance (the engine's start and three completions), each with
    one prepared primary-key SELECT and nothing else, through the SQLAlchemy Session the engine uses."""

    def __init__(self, label: str, url: str, admin_url: str | None = None):
        self.label = label
        self.engine = GovflowEngine(label, DEFAULT_MODEL, url, admin_url)

    def setup(self) -> None:
        from sqlalchemy import bindparam, select

        from engine.flow.models import Instance

        self.engine.setup()
        self.query = select(Instance.id).where(Instance.id == bindparam("i"))

    def run(self, n: int) -> None:
        sessions = self.engine.sessions
        for _ in range(n * 4):
            with sessions.begin() as session:
                session.execute(self.query, {"i": 1}).all()

    def teardown(self) -> None:
        self.engine.teardown()


# --------------------------------------------------------------------------- govflow engine


class GovflowEngine:
    """govflow's public services; every step is one request: fresh Session, one committed transaction."""

    def __init__(self, label: str, model: Path, url: str, admin_url: str | None = None):
        self.label = label
        self.model = model
        self.url = url
        self.admin_url = admin_url
        self.db_engine: Any = None
        self.sessions: Any = None
        self.finished = 0
        self.created = False
        self.state_bytes = 0  # text written to instance.state and instance_state_delta.ops
        self.steps = 0        # starts and completions that wrote them

    def _count_state(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                     many: bool) -> None:
        if context is None or not context.compiled_parameters:
            return
        for row in context.compiled_parameters:  # by bind name, whatever the driver's paramstyle
            self.state_bytes += sum(len(value.encode()) for name, value in row.items()
                                    if isinstance(value, str) and name.split("_")[-1] in ("state", "ops"))

    def setup(self) -> None:
        from sqlalchemy import text

        from engine.core.db import make_engine, make_sessionmaker
        from engine.flow import definitions
        from engine.ops.assembly import Base
        from engine.org import directory as org

        if self.admin_url:
            admin = make_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{_database_name(self.url)}"'))
            admin.dispose()
            self.created = True
        self.db_engine = make_engine(self.url)
        Base.metadata.create_all(self.db_engine)
        self.sessions = make_sessionmaker(self.db_engine)
        from sqlalchemy import event

        event.listen(self.db_engine, "before_cursor_execute", self._count_state)
        now = datetime.now(UTC)
        with self.sessions.begin() as session:
            for user, groups in ORG.items():
                org.create_user(session, user, groups=groups)
        with self.sessions.begin() as session:
            definitions.deploy(session, "designer", now, [(self.model.name, self.model.read_bytes())])

    def run(self, n: int) -> None:
        from engine.flow import instances, tasks

        def open_ids(session: Any, instance_id: int) -> dict[str, str]:
            return {element_id: task_id for task_id, element_id in tasks.open_task_ids(session, instance_id)}

        for _ in range(n):
            with self.sessions.begin() as session:
                inst = instances.start(session, START_USER, datetime.now(UTC), PROCESS_ID)
                instance_id = inst.id
                task_ids = open_ids(session, instance_id)
            for element_id, who, data in STEPS:
                with self.sessions.begin() as session:
                    tasks.complete(session, who, datetime.now(UTC), task_ids[element_id], dict(data))
                    task_ids.update(open_ids(session, instance_id))
        self.finished += n
        self.steps += n * (1 + len(STEPS))

    def verify(self) -> None:
        """Every instance run so far ended, outside the timed part."""
        from sqlalchemy import func, select

        from engine.flow.models import Instance

        with self.sessions() as session:
            done = session.scalar(select(func.count()).select_from(Instance).where(Instance.status == "completed"))
        if done != self.finished:
            raise RuntimeError(f"{self.label}: {done} of {self.finished} instances completed")

    def server_version(self) -> str | None:
        from sqlalchemy import text

        with self.db_engine.connect() as conn:
            if self.db_engine.dialect.name == "sqlite":
                return "SQLite " + conn.execute(text("select sqlite_version()")).scalar_one()
            return conn.execute(text("show server_version")).scalar_one()

    def teardown(self) -> None:
        from sqlalchemy import text

        from engine.core.db import make_engine

        if self.db_engine is not None:
            self.db_engine.dispose()
        if self.admin_url and self.created:
            admin = make_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{_database_name(self.url)}" WITH (FORCE)'))
            admin.dispose()


def _database_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return str(make_url(url).database)


def _pg_driver_url(url: str) -> str:
    """postgresql:// means psycopg 3 to SQLAlchemy 2.1; govflow ships psycopg2, so fall back to it."""
    import importlib.util

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.drivername == "postgresql" and importlib.util.find_spec("psycopg") is None:
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed.render_as_string(hide_password=False)


def _pg_run_url(admin_url: str) -> str:
    from sqlalchemy.engine import make_url

    name = f"govflow_bench_{uuid.uuid4().hex[:10]}"
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


# --------------------------------------------------------------------------- measuring


def _timed(run: Callable[[int], None], n: int) -> float:
    gc.collect()
    started = time.perf_counter()
    run(n)
    return n / (time.perf_counter() - started)


def _ceilings(medians: dict[str, float]) -> dict[str, float]:
    """Best ratio an engine could reach if its database work cost nothing beyond bare transactions:
    per-instance times add, so 1 / (1/runtime + 1/transactions), compared with raw."""
    found = {}
    for db in ("sqlite", "postgresql"):
        runtime, bare = medians.get("floor_runtime"), medians.get(f"floor_tx_{db}")
        if runtime and bare:
            found[db] = 1 / (1 / runtime + 1 / bare) / medians["raw"]
    return found


def machine_info() -> dict[str, Any]:
    from importlib.metadata import version

    import sqlalchemy

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "spiffworkflow": version("SpiffWorkflow"),
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite_library": sqlite3.sqlite_version,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="BPMN file (default: shared bench model)")
    ap.add_argument("-n", "--instances", type=int, default=200, help="finished instances per round")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds per system (median is reported)")
    ap.add_argument("--warmup", type=int, default=30, help="untimed instances per system before round 1")
    ap.add_argument("--pg-url", default=os.environ.get("GOVFLOW_BENCH_PG_URL"),
                    help="PostgreSQL admin URL (or env GOVFLOW_BENCH_PG_URL); a fresh database is made from it")
    ap.add_argument("--no-sqlite", action="store_true", help="skip the SQLite run")
    ap.add_argument("--with-json-roundtrip", action="store_true",
                    help="also measure raw SpiffWorkflow with a JSON save+load at each wait state")
    ap.add_argument("--no-floor", dest="floor", action="store_false",
                    help="skip measuring the parts no database work can remove (govflow's runtime in memory and "
                         "four bare transactions per instance), which give the ceiling the goal is stated on")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args(argv)
    if not args.model.is_file():
        ap.error(f"model not found: {args.model}")

    tmp = tempfile.TemporaryDirectory(prefix="govflow-bench-")
    systems: dict[str, Any] = {"raw": RawSpiff(args.model)}
    if args.with_json_roundtrip:
        systems["raw_json"] = RawSpiff(args.model, persist=True)
    if not args.no_sqlite:
        systems["sqlite"] = GovflowEngine("govflow engine, SQLite file", args.model,
                                          f"sqlite:///{Path(tmp.name) / 'bench.db'}")
    if args.pg_url:
        admin_url = _pg_driver_url(args.pg_url)
        systems["postgresql"] = GovflowEngine("govflow engine, PostgreSQL", args.model,
                                              _pg_run_url(admin_url), admin_url=admin_url)
    if args.floor:
        systems["floor_runtime"] = EngineInMemory(args.model)
        if not args.no_sqlite:
            systems["floor_tx_sqlite"] = BareTransactions("4 bare transactions per instance, SQLite",
                                                          f"sqlite:///{Path(tmp.name) / 'bare.db'}")
        if args.pg_url:
            systems["floor_tx_postgresql"] = BareTransactions("4 bare transactions per instance, PostgreSQL",
                                                              _pg_run_url(admin_url), admin_url=admin_url)
    rates: dict[str, list[float]] = {key: [] for key in systems}
    versions: dict[str, str | None] = {}
    try:
        for key, system in systems.items():
            system.setup()
            if args.warmup:
                system.run(args.warmup)
            if isinstance(system, GovflowEngine):
                versions[key] = system.server_version()
        for _ in range(args.rounds):
            for key, system in systems.items():
                rates[key].append(_timed(system.run, args.instances))
        for system in systems.values():
            if isinstance(system, GovflowEngine):
                system.verify()
    finally:
        for system in systems.values():
            system.teardown()
        tmp.cleanup()

    medians = {key: statistics.median(values) for key, values in rates.items()}
    ratios = {f"{key}_vs_raw": medians[key] / medians["raw"] for key in medians if key != "raw"}
    ceilings = _ceilings(medians)
    of_ceiling = {db: ratios[f"{db}_vs_raw"] / ceiling for db, ceiling in ceilings.items()}
    state_per_step = {key: round(system.state_bytes / system.steps) for key, system in systems.items()
                      if isinstance(system, GovflowEngine) and system.steps}
    result = {
        "model": str(args.model),
        "instances_per_round": args.instances,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "unit": "finished instances per second (median over rounds)",
        "systems": {key: {"label": systems[key].label, "median": round(medians[key], 2),
                          "rounds": [round(v, 2) for v in rates[key]]} for key in systems},
        "ratios": {key: round(value, 3) for key, value in ratios.items()},
        "goal": f"engine with a real database >= {CEILING_GOAL} x its ceiling (runtime in memory + bare "
                "transactions, same run)",
        "goal_met": {db: value >= CEILING_GOAL for db, value in of_ceiling.items()},
        "ceilings": {key: round(value, 3) for key, value in ceilings.items()},
        "share_of_ceiling": {key: round(value, 3) for key, value in of_ceiling.items()},
        "state_bytes_per_step": state_per_step,
        "reference_from_bench_readme": README_REFERENCE,
        "database_versions": versions,
        "machine": machine_info(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"model {args.model.name}: {args.rounds} rounds x {args.instances} instances, warm-up {args.warmup}")
    for key in systems:
        line = f"  {systems[key].label:<58} {medians[key]:8.1f} /s"
        if key != "raw":
            line += f"   {ratios[key + '_vs_raw']:.3f} x raw"
        print(line + "   rounds: " + " ".join(f"{v:.1f}" for v in rates[key]))
    print(f"  {'spiff-arena (Flask + SQLite + REST), from bench README':<58} "
          f"{README_REFERENCE['spiff_arena_sqlite_rest_readme']:8.1f} /s   (reference, not measured)")
    for key, value in ceilings.items():
        print(f"  ceiling {key}: runtime in memory + bare transactions leave at most {value:.3f} x raw")
    for key, value in state_per_step.items():
        print(f"  state written per step ({systems[key].label}): {value} bytes (instance.state + deltas)")
    for db, met in result["goal_met"].items():
        print(f"  goal {db}: {ratios[db + '_vs_raw']:.3f} x raw = {of_ceiling[db]:.2f} x its ceiling "
              f"(>= {CEILING_GOAL} wanted) -> {'met' if met else 'NOT met'}")
    info = result["machine"]
    print(f"  machine: {info['cpu']} x{info['cpus']}, Python {info['python']}, "
          f"SpiffWorkflow {info['spiffworkflow']}, SQLAlchemy {info['sqlalchemy']}"
          + "".join(f", {v}" for v in versions.values() if v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
