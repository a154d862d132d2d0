"""`govflow tasks list|complete|claim|release`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from engine.core.clock import SystemClock
from engine.flow import instances, tasks
from engine.org import directory
from webapp import views_data
from webapp.cli.common import edge, emit, json_arg, session


@click.group("tasks", help="List, claim and complete human tasks.", cls=AppGroup)
def tasks_cli() -> None:
    pass


@tasks_cli.command("list")
@click.option("--user", default=None, help="Only tasks this user may work.")
@click.option("--json", "as_json", is_flag=True)
@edge
def list_tasks_cmd(user: str | None, as_json: bool) -> None:
    if user is not None:
        directory.get_user(session(), user)
    rows = [views_data.task_row(t) for t in tasks.list_open(session(), user)]
    text = "\n".join(f"{r['id']}  instance {r['instance_id']}  {r['element_id']}  {r['name']}"
                     f"  assignee={r['assignee'] or '-'}  candidates={','.join(r['candidates']) or '-'}"
                     for r in rows)
    emit(as_json, rows, text or "no open tasks")


@tasks_cli.command("complete")
@click.argument("task_id")
@click.option("--as", "actor", required=True, help="User completing the task.")
@click.option("--data", default=None, help="Form data as a JSON object.")
@click.option("--opinion", default=None, help="Opinion (意见) recorded in the trail.")
@click.option("--json", "as_json", is_flag=True)
@edge
def complete_cmd(task_id: str, actor: str, data: str | None, opinion: str | None, as_json: bool) -> None:
    directory.get_user(session(), actor)
    row = tasks.complete(session(), actor, SystemClock().now(), task_id, json_arg(data, "data"), opinion)
    inst = instances.get(session(), row.instance_id)
    opened = [views_data.task_row(t) for t in tasks.open_for_instance(session(), inst.id)]
    emit(as_json, {"task": row.id, "instance_id": inst.id, "instance_status": inst.status, "open_tasks": opened},
          f"completed {row.id}; instance {inst.id} is {inst.status}"
          + "".join(f"\nopen: {t['id']} {t['element_id']} {t['name']}" for t in opened))


@tasks_cli.command("claim")
@click.argument("task_id")
@click.option("--as", "actor", required=True)
@edge
def claim_cmd(task_id: str, actor: str) -> None:
    directory.get_user(session(), actor)
    row = tasks.claim(session(), actor, SystemClock().now(), task_id)
    click.echo(f"{row.id} claimed by {row.assignee}")


@tasks_cli.command("release")
@click.argument("task_id")
@click.option("--as", "actor", required=True)
@edge
def release_cmd(task_id: str, actor: str) -> None:
    row = tasks.release(session(), actor, SystemClock().now(), task_id)
    click.echo(f"{row.id} released")
