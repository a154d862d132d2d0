"""Two scheduler processes and two worker processes on one PostgreSQL database: every due deadline and
every BPMN timer fires exactly once, every task is completed exactly once, although workers and
schedulers hit the same cases at the same time: 10,000 deadlines and 1,000 timers (about 40 s on two
cores); benchmarks/reliability_fleet.py runs the same code with other sizes."""

from __future__ import annotations

import pytest

from tests.conftest import DATABASE
from tests.reliability import fleet
from tests.reliability.conftest import report

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(DATABASE != "postgresql", reason="several writers with row locks need PostgreSQL")]


def test_two_schedulers_and_two_workers_fire_and_complete_everything_exactly_once(fresh_engine) -> None:
    engine = fresh_engine()
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    ids = fleet.setup(url, deadlines=10_000, timers=1_000)
    outcome = fleet.run(url, ids)
    figures = fleet.verdict(ids, outcome)
    report(f"2 schedulers + 2 workers: fired once: {figures['fired_once']:,}/{figures['expected']:,}; "
           f"lost: {figures['lost']}; duplicated: {figures['duplicated']}; "
           f"completed once: {figures['completed']:,}/{figures['completions_expected']:,}")
    assert figures["fired_once"] == figures["expected"] == 11_000, figures
    assert figures["lost"] == figures["duplicated"] == figures["failed"] == 0, figures
    assert figures["completed"] == figures["completions_expected"] == 1_000, figures
    assert figures["completions_duplicated"] == 0 and figures["cases_at_after"] == 1_000, figures
    assert all(s["timers"] or s["clocks"] for s in outcome.schedulers), "both schedulers should have worked"
