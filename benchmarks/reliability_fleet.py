"""Exactly-once under several processes, at full size: 2 scheduler processes and 2 worker processes on
one PostgreSQL, 10,000 due deadlines and 1,000 BPMN timers (cases whose other branch the workers complete
at the same time). Prints the figures docs/reliability.md quotes; exits 1 if anything fired twice, was
lost, or failed. The suite runs the same code bounded (tests/reliability/test_fleet.py).

Usage: python benchmarks/reliability_fleet.py --pg-url postgresql://postgres@127.0.0.1:55432/postgres [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.scheduler_bench import drop_database, fresh_database  # noqa: E402
from engine.core.db import make_engine  # noqa: E402
from engine.ops.assembly import Base  # noqa: E402
from tests.reliability import fleet  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("GOVFLOW_BENCH_PG_URL"))
    parser.add_argument("--deadlines", type=int, default=10_000)
    parser.add_argument("--timers", type=int, default=1_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.pg_url:
        parser.error("--pg-url (or GOVFLOW_BENCH_PG_URL) is required: several writers need PostgreSQL")
    url = fresh_database(args.pg_url)
    try:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        ids = fleet.setup(url, args.deadlines, args.timers)
        started = time.perf_counter()
        outcome = fleet.run(url, ids)
        figures = dict(fleet.verdict(ids, outcome), seconds=round(time.perf_counter() - started, 1))
    finally:
        drop_database(args.pg_url, url)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"fired once: {figures['fired_once']:,}/{figures['expected']:,}; lost: {figures['lost']}; "
              f"duplicated: {figures['duplicated']}; failed: {figures['failed']}")
        print(f"completions: {figures['completed']:,}/{figures['completions_expected']:,} "
              f"(duplicated {figures['completions_duplicated']}, retried steps {figures['retries']}); "
              f"cases through the join: {figures['cases_at_after']:,}; {figures['seconds']} s with 2+2 processes")
    ok = (figures["fired_once"] == figures["expected"] and figures["lost"] == figures["duplicated"] == 0
          and figures["failed"] == 0 and figures["completed"] == figures["completions_expected"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
