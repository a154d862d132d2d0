"""A scheduler process for tests: ticks at a given moment until nothing is due, prints what it fired."""

from __future__ import annotations

import json
import sys
from datetime import datetime

from engine.core.db import make_engine, make_sessionmaker
from engine.ops import scheduler


def main() -> None:
    url, moment = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    sys.stdin.readline()  # start together with the other scheduler
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    fired: dict[str, list[int]] = {"clocks": [], "timers": [], "failed": []}
    while True:
        report = scheduler.tick(sessions, moment, batch=50)
        fired["clocks"] += report.clocks
        fired["timers"] += report.timers
        fired["failed"] += [item for _, item, _ in report.failed]
        if report.fired == 0 and not report.failed:
            break
    engine.dispose()
    print(json.dumps(fired))


if __name__ == "__main__":
    main()
