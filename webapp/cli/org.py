"""`govflow org sync|map|unmap|mappings`: the organisation from the office's directory, and which
directory groups grant the roles the processes use."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from flask.cli import AppGroup

from engine.core.clock import SystemClock
from engine.core.errors import InvalidInput
from engine.ops import directory_sync
from engine.org import directory_sync as plans
from engine.org import ldap_source, roles
from webapp.cli.common import edge, emit, session

ACTION_WORDS = {"added": "added", "changed": "changed", "moved": "moved", "disabled": "disabled",
                "enabled": "enabled"}


@click.group("org", help="The organisation: sync it from the directory, map directory groups to roles.",
             cls=AppGroup)
def org_cli() -> None:
    pass


def describe(plan: plans.Plan, dry_run: bool) -> str:
    """The diff as people read it: one line per change, grouped by what happens, then the totals."""
    lines = []
    for action in plans.ACTIONS:
        changes = [c for c in plan.changes if c.action == action]
        if changes:
            lines.append(f"{ACTION_WORDS[action]} ({len(changes)}):")
            lines.extend(f"  {c.kind:<6} {c.label}" + (f": {'; '.join(c.details)}" if c.details else "")
                         for c in changes)
    lines.extend(f"problem: {p}" for p in plan.problems)
    totals = ", ".join(f"{sum(1 for c in plan.changes if c.action == a)} {a}" for a in plans.ACTIONS)
    head = "dry run, nothing changed" if dry_run else "applied"
    lines.append(f"{head}: {totals}" if plan.changes else f"{head}: the directory and govflow agree")
    return "\n".join(lines)


@org_cli.command("sync")
@click.option("--dry-run", is_flag=True, help="Print what would change (added, changed, moved, disabled) only.")
@click.option("--batch-size", default=500, show_default=True, help="Changes committed together.")
@click.option("--json", "as_json", is_flag=True)
@edge
def sync_cmd(dry_run: bool, batch_size: int, as_json: bool) -> None:
    """Read the directory configured by GOVFLOW_LDAP_* and bring departments, people and groups in line."""
    settings = ldap_source.settings_from_env(os.environ)
    bar: Any = None

    def committed(done: int, total: int) -> None:
        nonlocal bar
        session().commit()  # each batch stands on its own: a later failure keeps it, a rerun goes on
        if not as_json:
            if bar is None:
                bar = click.progressbar(range(total), label="syncing", file=sys.stderr)
            bar.update(done - bar.pos)

    plan = directory_sync.run(session(), None, SystemClock().now(), settings, dry_run=dry_run,
                              batch_size=batch_size, after_batch=committed)
    if bar is not None:
        bar.render_finish()
    emit(as_json, {"dry_run": dry_run, "summary": plan.summary(), "problems": plan.problems,
                   "changes": [{"kind": c.kind, "action": c.action, "label": c.label, "details": c.details}
                               for c in plan.changes]},
         describe(plan, dry_run))


@org_cli.command("map")
@click.argument("directory_group")
@click.argument("role")
@click.option("--actor", required=True, help="The administrator making the change (for the trail).")
@edge
def map_cmd(directory_group: str, role: str, actor: str) -> None:
    """Members of DIRECTORY_GROUP hold ROLE (e.g. sign_leaders city_leader)."""
    roles.add_mapping(session(), actor, SystemClock().now(), directory_group, role)
    click.echo(f"{directory_group} -> {role}")


@org_cli.command("unmap")
@click.argument("directory_group")
@click.argument("role")
@click.option("--actor", required=True, help="The administrator making the change (for the trail).")
@edge
def unmap_cmd(directory_group: str, role: str, actor: str) -> None:
    found = [m for m in roles.mappings(session()) if (m.directory_group, m.role) == (directory_group, role)]
    if not found:
        raise InvalidInput(f"没有映射 {directory_group} → {role} / no mapping {directory_group} -> {role}; "
                           "see govflow org mappings", field="directory_group")
    roles.remove_mapping(session(), actor, SystemClock().now(), found[0].id)
    click.echo(f"removed {directory_group} -> {role}")


@org_cli.command("mappings")
@click.option("--json", "as_json", is_flag=True)
@edge
def mappings_cmd(as_json: bool) -> None:
    rows = roles.mappings(session())
    emit(as_json, [{"directory_group": m.directory_group, "role": m.role} for m in rows],
         "\n".join(f"{m.directory_group} -> {m.role}" for m in rows) or "no mappings")
