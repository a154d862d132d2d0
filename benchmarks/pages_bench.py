"""Server time of the busiest pages on a PostgreSQL database with 1,000,000 tasks and 100,000 open clocks.

Usage: python benchmarks/pages_bench.py --pg-url postgresql://postgres@127.0.0.1:55432/postgres
       [--tasks 1000000] [--open-clocks 100000] [--rounds 60] [--keep | --reuse URL] [--json]
Each page is requested through the Flask app in this process (no network), so the time is the server's:
routing, role check, queries, template. Goals (from the issue): a clerk's 待办 p95 <= 30 ms; the
overdue report and a department's 实时监察 page p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import bigdata  # noqa: E402
from engine.core.clock import FixedClock  # noqa: E402

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in China
CLERK, SUPERVISOR = "b_bd007_3", "supervisor"
# (name, user, url, goal in ms)
PAGES: list[tuple[str, str, str, int | None]] = [
    ("待办 (clerk inbox)", CLERK, "/inbox/", 30),
    ("待办, red only", CLERK, "/inbox/?warning=red", 30),
    ("待办, page 5 by title", CLERK, "/inbox/?sort=title&page=5", 30),
    ("已办 (done)", CLERK, "/inbox/?tab=done", 30),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(url: str, pages: list[tuple[str, str, str, int | None]], rounds: int) -> list[dict[str, Any]]:
    from webapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "GOVFLOW_CLOCK": FixedClock(NOW)})
    results = []
    for name, user, path, goal in pages:
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["username"] = user
        first = client.get(path)
        if first.status_code != 200:
            raise SystemExit(f"{path} as {user}: HTTP {first.status_code}")
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        results.append({"page": name, "user": user, "path": path, "goal_ms": goal,
                        "p50_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 0.95), 1),
                        "max_ms": round(max(times), 1),
                        "met": None if goal is None else percentile(times, 0.95) <= goal,
                        "bytes": len(first.data)})
    return results


def extra_pages() -> list[tuple[str, str, str, int | None]]:
    """Supervision pages, when the supervision blueprint offers them."""
    try:
        from benchmarks.supervision_pages import PAGES as SUPERVISION
    except ImportError:
        return []
    return [(name, SUPERVISOR, path, goal) for name, path, goal in SUPERVISION]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("GOVFLOW_BENCH_PG_URL"))
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--open-clocks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the generated database and print its URL")
    parser.add_argument("--reuse", help="measure a database generated earlier with --keep")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (args.pg_url or args.reuse):
        parser.error("--pg-url (or GOVFLOW_BENCH_PG_URL) is required: the goals are stated on PostgreSQL")
    url = args.reuse
    if url is None:
        print(f"generating {args.tasks:,} tasks and {args.open_clocks:,} open clocks ...", flush=True)
        started = time.perf_counter()
        url = bigdata.build(args.pg_url, bigdata.Shape(args.tasks, args.open_clocks), NOW)
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    try:
        results = measure(url, PAGES + extra_pages(), args.rounds)
    finally:
        if args.keep or args.reuse:
            print(f"database kept: {url}")
        else:
            bigdata.drop_database(args.pg_url, url)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        for r in results:
            verdict = ("no stated goal" if r["met"] is None
                       else f"goal p95 <= {r['goal_ms']} ms: {'met' if r['met'] else 'NOT met'}")
            print(f"{r['page']:<34} p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  max {r['max_ms']:6.1f} ms"
                  f"  {verdict}")
    return 0 if all(r["met"] is not False for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
