"""会签 state cost: bytes written and time per signature at N = 5, 50 and 200 signers.

Every signature is one committed transaction through the engine (tasks.complete), as the web app does
it. Bytes written are measured from the database after the run: the delta rows each signature added,
plus every whole state written in between (engine/flow/state_store.py writes the whole state again
after CHANGES_BEFORE_FULL deltas, when the deltas have grown as large as the state, and at the end).
Beside them the script prints the whole state's size at each signature, which is what a step wrote
before states were stored as deltas.

    python benchmarks/countersign_state.py [--signers 5,50,200] [--pg-url postgresql://...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.scheduler_bench import drop_database, fresh_database  # noqa: E402

MODEL = ROOT / "tests" / "fixtures" / "bpmn" / "countersign_departments.bpmn"


class Database:
    """A schema on a new SQLite file, or on a new PostgreSQL database dropped afterwards."""

    def __init__(self, url: str | None, admin_url: str | None = None) -> None:
        self.url, self.admin_url = url, admin_url

    def __enter__(self) -> Any:
        from engine.core.db import make_engine, make_sessionmaker
        from engine.ops.assembly import Base

        if self.admin_url:
            self.url = fresh_database(self.admin_url)
        self.engine = make_engine(str(self.url))
        Base.metadata.create_all(self.engine)
        return make_sessionmaker(self.engine)

    def __exit__(self, *exc: object) -> None:
        self.engine.dispose()
        if self.admin_url:
            drop_database(self.admin_url, str(self.url))


def measure(sessions: Any, signers: int) -> dict[str, float]:
    from sqlalchemy import func, select

    from engine.flow import definitions, instances, state_store, tasks
    from engine.flow.models import Instance, InstanceStateDelta
    from engine.org import directory as org

    now = datetime.now(UTC)
    departments = [f"d{i:03d}" for i in range(signers)]
    with sessions.begin() as session:
        for dept in departments:
            if org.find_user(session, f"{dept}_boss") is None:
                org.create_user(session, f"{dept}_boss", groups=[f"{dept}_leader"], department=dept)
        if org.find_user(session, "drafter") is None:
            org.create_user(session, "drafter")
            org.create_user(session, "office_clerk", groups=["office"])
            definitions.deploy(session, "admin", now, [(MODEL.name, MODEL.read_bytes())])
    with sessions.begin() as session:
        inst_id = instances.start(session, "drafter", now, "countersign_departments", {"departments": departments}).id
    with sessions() as session:
        signing = [(t.id, f"{t.properties['item']}_boss") for t in tasks.open_for_instance(session, inst_id)]
    whole_writes: list[int] = []
    times, whole_sizes, delta_total = [], [], 0
    with sessions() as session:
        stored, count = session.get(Instance, inst_id).state, 0
    for task_id, who in signing:
        started = time.perf_counter()
        with sessions.begin() as session:
            tasks.complete(session, who, datetime.now(UTC), task_id, {"agree": True})
        times.append(time.perf_counter() - started)
        with sessions() as session:  # outside the timed part: what this signature wrote
            inst = session.get(Instance, inst_id)
            if inst.state != stored:
                whole_writes.append(len(inst.state))
                stored = inst.state
            if inst.state_deltas > count:
                delta_total += session.scalar(select(func.length(InstanceStateDelta.ops)).where(
                    InstanceStateDelta.instance_id == inst_id, InstanceStateDelta.seq == inst.state_deltas)) or 0
            count = inst.state_deltas
            # the whole state as stored (deltas applied), read without taking the workflow from the cache
            whole_sizes.append(len(json.dumps(state_store.read(session, inst)[0], separators=(",", ":"))))
    written = delta_total + sum(whole_writes)
    return {"signers": signers, "bytes_per_signature": written / signers,
            "whole_state_per_signature": statistics.mean(whole_sizes), "whole_writes": len(whole_writes),
            "ms_per_signature": statistics.median(times) * 1000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signers", default="5,50,200")
    parser.add_argument("--pg-url", help="a PostgreSQL superuser URL (scripts/pg-start.sh prints one)")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.signers.split(",")]
    targets: list[tuple[str, str | None, str | None]] = []
    tmp = tempfile.mkdtemp(prefix="govflow-countersign-")
    targets.append(("SQLite", f"sqlite:///{tmp}/bench.db", None))
    if args.pg_url:
        base = args.pg_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://", 1)
        targets.append(("PostgreSQL", None, base + "/postgres"))
    for label, url, admin in targets:
        print(f"== {label}")
        print(f"{'signers':>8} {'bytes/signature':>16} {'whole state':>12} {'ratio':>7} {'whole writes':>13} {'ms/signature':>13}")
        results = []
        with Database(url, admin) as sessions:
            for n in counts:
                r = measure(sessions, n)
                results.append(r)
                print(f"{n:>8} {r['bytes_per_signature']:>16.0f} {r['whole_state_per_signature']:>12.0f} "
                      f"{r['bytes_per_signature'] / r['whole_state_per_signature']:>7.3f} {r['whole_writes']:>13} "
                      f"{r['ms_per_signature']:>13.1f}")
        first, last = results[0], results[-1]
        print(f"N={last['signers']} against N={first['signers']}: bytes per signature "
              f"{last['bytes_per_signature'] / first['bytes_per_signature']:.2f}x, time per signature "
              f"{last['ms_per_signature'] / first['ms_per_signature']:.2f}x (goals: <= 5 KB and <= 2x; <= 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
