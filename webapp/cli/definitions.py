"""`govflow definitions deploy|list`: BPMN files in, versions and located problems out."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from engine.core.clock import SystemClock
from engine.flow import definitions
from engine.intake import batch as intake_batch
from webapp import views_data
from webapp.cli.common import edge, emit, session


@click.group("definitions", help="Deploy and list BPMN process definitions.", cls=AppGroup)
def definitions_cli() -> None:
    pass


@definitions_cli.command("deploy")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "actor", default=None, help="Deploying user (recorded).")
@click.option("--beside/--only-given", default=True,
              help="Also deploy the .dmn decision tables and form files (.form, .json) the BPMN names that "
                   "lie in the same folder (default), or only the files given.")
@click.option("--json", "as_json", is_flag=True)
@edge
def deploy_cmd(files: tuple[Path, ...], actor: str | None, beside: bool, as_json: bool) -> None:
    """Deploy FILE... (BPMN, DMN, form files) together; prints process ids, versions and problems."""
    batch = [(f.name, f.read_bytes()) for f in files]
    added = _beside(files, batch) if beside else []
    result = definitions.deploy(session(), actor, SystemClock().now(), batch + added)
    payload = {**views_data.deploy_result(result), "added": [name for name, _ in added]}
    lines = [f"with {name} (named by the BPMN, found beside it)" for name, _ in added]
    lines += [f"{p.process_id} version {p.version}{'' if p.new else ' (unchanged)'}  [{p.filename}]"
              for p in result.processes]
    lines += [problem.format() for problem in result.problems]
    emit(as_json, payload, "\n".join(lines))


def _beside(files: tuple[Path, ...], batch: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Decision and form files in the given files' folders that supply what the BPMN names but the
    command line left out."""
    needs = intake_batch.wanted(batch)
    given = {f.resolve() for f in files}
    added: list[tuple[str, bytes]] = []
    for folder in dict.fromkeys(f.resolve().parent for f in files):
        for candidate in sorted(folder.iterdir()):
            if not needs or candidate in given or candidate.suffix.lower() not in (".dmn", ".form", ".json"):
                continue
            data = candidate.read_bytes()
            supplied = intake_batch.provides(candidate.name, data) & needs
            if supplied:
                added.append((candidate.name, data))
                needs -= supplied
    return added


@definitions_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
@edge
def list_definitions_cmd(as_json: bool) -> None:
    rows = views_data.version_rows(definitions.list_versions(session()))
    text = "\n".join(f"{r['process_id']}  v{r['version']}  {r['name']}  instances={r['instances']}" for r in rows)
    emit(as_json, rows, text or "no definitions deployed")
