"""`govflow instances start|show|message|cancel|suspend|resume`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from engine.core.clock import SystemClock
from engine.flow import instances
from engine.org import directory
from webapp import views_data
from webapp.cli.common import edge, emit, json_arg, session


@click.group("instances", help="Start and inspect process instances.", cls=AppGroup)
def instances_cli() -> None:
    pass


@instances_cli.command("start")
@click.argument("process_id")
@click.option("--data", default=None, help="Start data as a JSON object.")
@click.option("--as", "actor", default=None, help="Starting user.")
@click.option("--json", "as_json", is_flag=True)
@edge
def start_cmd(process_id: str, data: str | None, actor: str | None, as_json: bool) -> None:
    """Start PROCESS_ID; prints the instance id."""
    if actor is not None:
        directory.get_user(session(), actor)
    inst = instances.start(session(), actor, SystemClock().now(), process_id, json_arg(data, "data"))
    emit(as_json, {"id": inst.id, "status": inst.status, "process_id": inst.process_id}, str(inst.id))


@instances_cli.command("show")
@click.argument("instance_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@edge
def show_cmd(instance_id: int, as_json: bool) -> None:
    """Status, data, open tasks and audit trail of an instance."""
    view = views_data.instance_view(session(), instance_id, SystemClock().now())
    emit(as_json, view, views_data.instance_text(view))


@instances_cli.command("message")
@click.argument("instance_id", type=int)
@click.argument("name")
@click.option("--data", default=None, help="Message payload as a JSON object.")
@click.option("--as", "actor", default=None)
@edge
def message_cmd(instance_id: int, name: str, data: str | None, actor: str | None) -> None:
    """Deliver message or signal NAME to an instance waiting for it."""
    inst = instances.send_message(session(), actor, SystemClock().now(), instance_id, name,
                                  json_arg(data, "data"))
    click.echo(f"{inst.id} {inst.status}")


@instances_cli.command("cancel")
@click.argument("instance_id", type=int)
@click.option("--as", "actor", required=True)
@click.option("--reason", default="")
@edge
def cancel_cmd(instance_id: int, actor: str, reason: str) -> None:
    inst = instances.cancel(session(), actor, SystemClock().now(), instance_id, reason)
    click.echo(f"{inst.id} {inst.status}")


@instances_cli.command("suspend")
@click.argument("instance_id", type=int)
@click.option("--as", "actor", required=True)
@edge
def suspend_cmd(instance_id: int, actor: str) -> None:
    inst = instances.set_suspended(session(), actor, SystemClock().now(), instance_id, True)
    click.echo(f"{inst.id} {inst.status}")


@instances_cli.command("resume")
@click.argument("instance_id", type=int)
@click.option("--as", "actor", required=True)
@edge
def resume_cmd(instance_id: int, actor: str) -> None:
    inst = instances.set_suspended(session(), actor, SystemClock().now(), instance_id, False)
    click.echo(f"{inst.id} {inst.status}")
