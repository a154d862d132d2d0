"""Directory sync of 10,000 people from a real slapd on loopback: seconds for the first run (everything
added), a second run (nothing to do) and a run after a tenth of the people moved unit.

    python -m benchmarks.ldap_sync [--people 10000] [--pg-url postgresql://...] [--json]

The goal is under a minute for the first run. SQLite in a temporary folder unless --pg-url (or
GOVFLOW_BENCH_PG_URL) names a PostgreSQL server, where a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ldap3

from benchmarks.scheduler_bench import drop_database, fresh_database
from engine.core.db import make_engine, make_sessionmaker
from engine.ops import directory_sync
from engine.ops.assembly import Base
from engine.org import ldap_source
from tests import ldap_server

GOAL_SECONDS = 60.0


def _timed_run(sessions: Any, settings: ldap_source.DirectorySettings) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    with sessions() as session:
        plan = directory_sync.run(session, "benchmark", datetime.now(UTC), settings,
                                  after_batch=lambda done, total: session.commit())
        session.commit()
    return time.perf_counter() - started, plan.summary()


def _move_a_tenth(server: ldap_server.Slapd, people: int) -> int:
    conn = ldap3.Connection(ldap3.Server(server.url), ldap_server.ADMIN_DN, ldap_server.PASSWORD, auto_bind=True)
    moved = 0
    for person in ldap_server.staff(people)[::10]:
        if person.unit != "letters":
            conn.modify_dn(ldap_server.person_dn(person.login, person.unit), f"uid={person.login}",
                           new_superior=ldap_server.unit_dn("letters"))
            moved += 1
    conn.unbind()
    return moved


def run(people: int, url: str, folder: Path) -> dict[str, Any]:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    for server in ldap_server.running(folder / "ldap", ldap_server.office_ldif(people)):
        settings = ldap_source.settings_from_env(server.env())
        first, summary = _timed_run(sessions, settings)
        again, nothing = _timed_run(sessions, settings)
        moved = _move_a_tenth(server, people)
        after_moves, move_summary = _timed_run(sessions, settings)
    engine.dispose()
    return {"people": people, "database": make_engine(url).dialect.name, "first_run_s": round(first, 2),
            "first_summary": summary, "second_run_s": round(again, 2), "second_summary": nothing,
            "moved": moved, "after_moves_s": round(after_moves, 2), "after_moves_summary": move_summary,
            "goal_s": GOAL_SECONDS, "first_run_vs_goal": round(first / GOAL_SECONDS, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--pg-url", default=os.environ.get("GOVFLOW_BENCH_PG_URL"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not ldap_server.available():
        raise SystemExit("slapd is not installed: apt-get install slapd ldap-utils")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = fresh_database(args.pg_url) if args.pg_url else f"sqlite:///{folder / 'bench.db'}"
        try:
            result = run(args.people, url, folder)
        finally:
            if args.pg_url:
                drop_database(args.pg_url, url)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(f"directory sync of {result['people']} people on {result['database']}:")
    print(f"  first run (everything added)   {result['first_run_s']:8.2f} s  "
          f"({result['first_run_vs_goal']:.2f} of the {GOAL_SECONDS:.0f} s goal)")
    print(f"  second run (nothing to do)     {result['second_run_s']:8.2f} s")
    print(f"  after {result['moved']} moves               {result['after_moves_s']:8.2f} s")


if __name__ == "__main__":
    main()
