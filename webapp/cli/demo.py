"""`govflow demo`: the demo organisation, the shipped processes and sample cases (idempotent)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from engine.core.clock import SystemClock
from webapp import demo
from webapp.cli.common import edge, session


@click.command("demo")
@with_appcontext
@edge
def demo_cmd() -> None:
    """Load the demo organisation, deploy processes/ and start a sample case (idempotent)."""
    for line in demo.seed(session(), SystemClock().now()):
        click.echo(line)
