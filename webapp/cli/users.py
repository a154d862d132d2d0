"""`govflow users create`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from engine.org import directory
from webapp.cli.common import edge, session


@click.group("users", help="Manage users of the organisation.", cls=AppGroup)
def users_cli() -> None:
    pass


@users_cli.command("create")
@click.argument("name")
@click.option("--password", default=None)
@click.option("--group", "groups", multiple=True, help="Group code; repeat for several.")
@click.option("--department", default=None, help="Department code.")
@click.option("--display-name", default=None)
@edge
def create_user_cmd(name: str, password: str | None, groups: tuple[str, ...], department: str | None,
                    display_name: str | None) -> None:
    user = directory.create_user(session(), name, password=password, groups=groups, department=department,
                           display_name=display_name)
    click.echo(f"created user {user.username}")
