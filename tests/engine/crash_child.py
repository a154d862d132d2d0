"""Child process for the crash test: completes one task and stops at a chosen point to be killed."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from engine import instances, tasks
from engine.db import make_engine, make_sessionmaker


def main() -> None:
    url, task_id, point = sys.argv[1], sys.argv[2], sys.argv[3]
    sessions = make_sessionmaker(make_engine(url))

    def stop_here(session, inst) -> None:  # noqa: ANN001 - test hook
        if point == "before-commit":
            print("flushed", flush=True)
            sys.stdin.readline()  # blocks until the parent kills us

    instances.AFTER_SAVE_HOOKS.append(stop_here)
    with sessions.begin() as session:
        tasks.complete(session, "clerk", datetime(2026, 11, 2, 2, tzinfo=UTC), task_id, {"approved": True})
    print("committed", flush=True)
    sys.stdin.readline()


if __name__ == "__main__":
    main()
