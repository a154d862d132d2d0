"""`govflow definitions deploy|list`: BPMN files in, versions and located problems out."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from engine.core.clock import SystemClock
from engine.flow import definitions
from webapp import views_data
from webapp.cli.common import edge, emit, session


@click.group("definitions", help="Deploy and list BPMN process definitions.", cls=AppGroup)
def definitions_cli() -> None:
    pass


@definitions_cli.command("deploy")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "actor", default=None, help="Deploying user (recorded).")
@click.option("--json", "as_json", is_flag=True)
@edge
def deploy_cmd(files: tuple[Path, ...], actor: str | None, as_json: bool) -> None:
    """Deploy FILE... together; prints process ids, versions and problems."""
    result = definitions.deploy(session(), actor, SystemClock().now(),
                                [(f.name, f.read_bytes()) for f in files])
    payload = views_data.deploy_result(result)
    lines = [f"{p.process_id} version {p.version}{'' if p.new else ' (unchanged)'}  [{p.filename}]"
             for p in result.processes]
    lines += [problem.format() for problem in result.problems]
    emit(as_json, payload, "\n".join(lines))


@definitions_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
@edge
def list_definitions_cmd(as_json: bool) -> None:
    rows = views_data.version_rows(definitions.list_versions(session()))
    text = "\n".join(f"{r['process_id']}  v{r['version']}  {r['name']}  instances={r['instances']}" for r in rows)
    emit(as_json, rows, text or "no definitions deployed")
