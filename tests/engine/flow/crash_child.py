"""Child process for the crash test: completes one task and stops at a chosen point to be killed.

Usage: crash_child.py DATABASE_URL TASK_ID POINT, POINT being 'before-commit' (stop inside the open
transaction, after the advanced workflow and its projections were flushed) or 'after-commit'. At the
point it prints one line to stdout and blocks reading stdin until the parent kills it."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from engine.core.db import make_engine, make_sessionmaker
from engine.flow import instances, tasks


def main() -> None:
    url, task_id, point = sys.argv[1], sys.argv[2], sys.argv[3]
    sessions = make_sessionmaker(make_engine(url))

    def stop_here(session, inst) -> None:  # noqa: ANN001 - instances.AFTER_SAVE_HOOKS signature
        if point == "before-commit":
            print(f"flushed {inst.lock_version}", flush=True)
            sys.stdin.readline()  # blocks until the parent kills us

    instances.AFTER_SAVE_HOOKS.append(stop_here)
    with sessions.begin() as session:
        tasks.complete(session, "rita", datetime(2026, 11, 2, 2, tzinfo=UTC), task_id, {"approved": True}, "同意")
    print("committed", flush=True)
    sys.stdin.readline()


if __name__ == "__main__":
    main()
