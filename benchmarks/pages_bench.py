"""Server time of the busiest pages on a large PostgreSQL database (benchmarks/bigdata.py builds it).

Usage: python benchmarks/pages_bench.py --pg-url postgresql://postgres@127.0.0.1:55432/postgres
       [--tasks 1000000] [--open-tasks N] [--open-clocks 100000] [--rounds 60] [--keep | --reuse URL]
       [--only TEXT] [--json]
The shape the goals are stated on: --tasks 5000000 --open-tasks 1000000 --open-clocks 1000000.
Each page is requested through the Flask app in this process (no network), so the time is the server's:
routing, role check, queries, template. Goals (from the issue): every inbox tab p95 <= 30 ms for a clerk
and for a department head; the supervision pages p95 <= 150 ms. --keep builds once and prints the
database's URL; --reuse URL measures it again (after an index or a change in the code).
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
CLERK, HEAD, SUPERVISOR, MAILBOX = "b_bd007_3", "h_bd007", "supervisor", "mailbox_clerk"
INBOX = [  # (name, url): every tab, and the filters and pages people use most
    ("待办", "/inbox/"),
    ("待办, red only", "/inbox/?warning=red"),
    ("待办, page 5 by title", "/inbox/?sort=title&page=5"),
    ("待办, page 50", "/inbox/?page=50"),
    ("已办", "/inbox/?tab=done"),
    ("已办, page 20", "/inbox/?tab=done&page=20"),
    ("我发起的", "/inbox/?tab=started"),
    ("抄送", "/inbox/?tab=copies"),
]
MAILBOX_FOLDERS = ("todo", "handling", "new", "rejected", "done", "recycle", "copies", "all")
# (name, user, url, goal in ms)
PAGES: list[tuple[str, str, str, int | None]] = [
    *((f"{name} (clerk)", CLERK, path, 30) for name, path in INBOX),
    *((f"{name} (head)", HEAD, path, 30) for name, path in INBOX),
    *((f"信箱 {folder} (staff)", MAILBOX, f"/inbox/mailbox?folder={folder}", None) for folder in MAILBOX_FOLDERS),
    ("信箱 all, page 100 (staff)", MAILBOX, "/inbox/mailbox?folder=all&page=100", None),
    ("信箱 todo (clerk)", CLERK, "/inbox/mailbox?folder=todo", None),
    ("信箱 copies (clerk)", CLERK, "/inbox/mailbox?folder=copies", None),
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


def explain(url: str, pages: list[tuple[str, str, str, int | None]]) -> None:
    """Print EXPLAIN (ANALYZE, BUFFERS) of every SELECT one request of each page runs, slowest first:
    the statements are caught with a before_cursor_execute listener, as the app sends them."""
    from sqlalchemy import event

    from webapp import create_app
    from webapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "GOVFLOW_CLOCK": FixedClock(NOW)})
    caught: list[tuple[str, Any]] = []

    def catch(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            caught.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    for name, user, path, _goal in pages:
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["username"] = user
        client.get(path)  # warm: caches and the plans' first run
        caught.clear()
        event.listen(engine, "before_cursor_execute", catch)
        try:
            client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", catch)
        plans = []
        with engine.connect() as conn:
            for statement, parameters in caught:
                cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                lines = [row[0] for row in cursor.fetchall()]
                took = next((float(line.split()[2]) for line in lines if line.startswith("Execution Time")), 0.0)
                plans.append((took, statement, lines))
        print(f"== {name} as {user}: {path} ({len(caught)} statements, "
              f"{sum(p[0] for p in plans):.1f} ms executing)")
        for took, statement, lines in sorted(plans, key=lambda p: -p[0])[:3]:
            print(f"-- {took:.2f} ms: {' '.join(statement.split())[:300]}")
            print("\n".join("   " + line for line in lines))


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
    parser.add_argument("--open-tasks", type=int, default=None,
                        help="running cases, one open step each (default: as many as --open-clocks)")
    parser.add_argument("--open-clocks", type=int, default=100_000)
    parser.add_argument("--only", help="measure only the pages whose name contains this text")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the generated database and print its URL")
    parser.add_argument("--reuse", help="measure a database generated earlier with --keep")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--explain", action="store_true",
                        help="print the plans of each page's slowest statements instead of timing the pages")
    args = parser.parse_args(argv)
    if not (args.pg_url or args.reuse):
        parser.error("--pg-url (or GOVFLOW_BENCH_PG_URL) is required: the goals are stated on PostgreSQL")
    url = args.reuse
    if url is None:
        shape = bigdata.Shape(args.tasks, args.open_clocks, args.open_tasks)
        print(f"generating {max(args.tasks, shape.cases * bigdata.STEPS_PER_CASE):,} tasks "
              f"({shape.running:,} open) and {args.open_clocks:,} open clocks ...", flush=True)
        started = time.perf_counter()
        url = bigdata.build(args.pg_url, shape, NOW)
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    pages = [p for p in PAGES + extra_pages() if not args.only or args.only in p[0]]
    if args.explain:
        try:
            explain(url, pages)
        finally:
            if not (args.keep or args.reuse):
                bigdata.drop_database(args.pg_url, url)
        return 0
    try:
        results = measure(url, pages, args.rounds)
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
            print(f"{r['page']:<30} p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  max {r['max_ms']:6.1f} ms"
                  f"  {verdict}")
    return 0 if all(r["met"] is not False for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
