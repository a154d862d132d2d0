"""`govflow scheduler`: fire due clocks and BPMN timers, once or on an interval."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp import runner
from webapp.cli.common import emit


@click.command("scheduler")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between ticks.")
@click.option("--once", is_flag=True, help="Do one tick (everything due now) and exit.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def scheduler_cmd(interval: float, once: bool, as_json: bool) -> None:
    """Fire due clocks and BPMN timers; run one per node (several share PostgreSQL safely)."""
    if once:
        report = runner.make_tick(current_app._get_current_object())()  # type: ignore[attr-defined]
        emit(as_json, {"clocks": report.clocks, "timers": report.timers, "failed": report.failed,
                        "emails_sent": report.emails_sent},
              f"fired {len(report.clocks)} clock checks and {len(report.timers)} timers"
              + (f"; {len(report.failed)} failed" if report.failed else ""))
        return
    click.echo(f"scheduler ticking every {interval}s; Ctrl-C stops it")
    runner.run_blocking(current_app._get_current_object(), interval)  # type: ignore[attr-defined]
