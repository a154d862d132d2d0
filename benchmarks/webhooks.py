"""Webhook delivery figures: 10,000 events sent to a receiver on loopback that fails 30 % of the time,
with the app restarted (a new app object on the same database) part-way through.

Usage: python benchmarks/webhooks.py [--events 10000] [--pg-url postgresql://postgres@127.0.0.1:55432/postgres]
Goal (issue 19): every event delivered, none processed twice by an idempotent receiver. Prints
events, delivered, processed once, duplicates received (re-sends the receiver recognised by their
webhook-id), requests, and the seconds the deliveries took; exits non-zero if the goal is missed.
The clock is a fixed one moved by hand past each backoff, so the figure is sending time, not waiting.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine.core import events  # noqa: E402
from engine.core.clock import FixedClock  # noqa: E402
from engine.core.db import make_engine  # noqa: E402
from engine.flow import definitions, instances  # noqa: E402
from engine.ops import webhooks  # noqa: E402
from engine.ops.assembly import Base  # noqa: E402
from engine.ops.webhook_models import WebhookDelivery  # noqa: E402
from engine.org import directory as org  # noqa: E402
from tests.engine.ops.webhook_receiver import Receiver, running  # noqa: E402
from webapp import create_app, runner  # noqa: E402
from webapp.extensions import db  # noqa: E402

PROCESS = ROOT / "processes" / "leave_request.bpmn"
LOCAL = ("127.0.0.1",)


def database(pg_url: str | None, tmp: Path) -> tuple[str, Any]:
    """A fresh database with the schema; returns its URL and a function that removes it."""
    if not pg_url:
        url = f"sqlite:///{tmp / 'webhooks.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        return url, lambda: None
    name = f"govflow_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return url, drop


def app_on(url: str, clock: FixedClock) -> Any:
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "GOVFLOW_CLOCK": clock,
                       "GOVFLOW_WEBHOOK_ALLOWED_HOSTS": LOCAL})


def statuses(app: Any) -> dict[str, int]:
    with app.app_context():
        return dict(db.session().execute(select(WebhookDelivery.status, func.count())
                                         .group_by(WebhookDelivery.status)).all())


def run(count: int, pg_url: str | None) -> dict[str, Any]:
    from tests.conftest import NOW

    clock = FixedClock(NOW)
    with tempfile.TemporaryDirectory() as tmp, \
            running(Receiver(lambda: int(clock.now().timestamp()), fail_rate=0.3)) as receiver:
        url, drop = database(pg_url, Path(tmp))
        try:
            first = app_on(url, clock)
            with first.app_context():
                session = db.session()
                org.create_user(session, "zhang")
                definitions.deploy(session, "admin", NOW, [(PROCESS.name, PROCESS.read_bytes())])
                receiver.secret = webhooks.create(session, "admin", NOW, receiver.url, events.KINDS, LOCAL).secret
                for n in range(count // 2):  # each case: instance.started and task.created
                    instances.start(session, "zhang", NOW, "leave_request", {"days": 1}, title=f"请假{n}")
                    if n % 500 == 499:
                        session.commit()
                session.commit()
                expected = int(session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0)
            began = time.perf_counter()
            runner.make_tick(first, clock)()  # the first pass, then the process "restarts"
            with first.app_context():
                db.engine.dispose()
            second = app_on(url, clock)
            tick = runner.make_tick(second, clock)
            for _ in range(200):
                if statuses(second) == {"delivered": expected}:
                    break
                clock.advance(minutes=5)
                tick()
            seconds = time.perf_counter() - began
            final = statuses(second)
            with second.app_context():
                db.engine.dispose()
        finally:
            drop()
    return {"database": "postgresql" if pg_url else "sqlite", "events": expected,
            "delivered": final.get("delivered", 0), "processed_once": len(receiver.processed),
            "duplicates": receiver.duplicates, "requests": receiver.requests, "receiver_failures": receiver.failures,
            "bad_signatures": receiver.bad_signatures, "seconds": round(seconds, 2),
            "per_second": round(expected / seconds, 1) if seconds else None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--pg-url", default=None, help="PostgreSQL server URL (default: SQLite in a temporary folder)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    figures = run(args.events, args.pg_url)
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{figures['database']}: {figures['events']} events, delivered {figures['delivered']}, "
              f"processed once {figures['processed_once']}, duplicates {figures['duplicates']} "
              f"(requests {figures['requests']}, receiver failures {figures['receiver_failures']}), "
              f"{figures['seconds']} s ({figures['per_second']}/s)")
    ok = figures["delivered"] == figures["processed_once"] == figures["events"] and not figures["bad_signatures"]
    print("goal met: every event delivered, none processed twice" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
