"""`govflow <noun> <verb>`: one module per noun, each command committing at the edge (common.edge) and
exiting non-zero with a one-line reason. `init_app` puts them on the app's command group; the console
script (webapp/console.py) builds the app that carries them. `govflow db ...` is Flask-Migrate's."""

from __future__ import annotations

from flask import Flask

from webapp.cli import (
    calendar,
    clocks,
    conformance,
    definitions,
    demo,
    instances,
    notifications,
    org,
    portal,
    scheduler,
    serve,
    tasks,
    users,
    webhooks,
)

COMMANDS = (definitions.definitions_cli, instances.instances_cli, tasks.tasks_cli, users.users_cli,
            conformance.conformance_cmd, demo.demo_cmd, calendar.calendar_cli, scheduler.scheduler_cmd,
            clocks.clocks_cli, notifications.notifications_cli, org.org_cli, portal.portal_cli, serve.serve_cmd,
            webhooks.webhooks_cli)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
