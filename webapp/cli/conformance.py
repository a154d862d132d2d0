"""`govflow conformance DIR`: every BPMN file of a directory tried in a scratch database."""

from __future__ import annotations

from pathlib import Path

import click

from engine.ops import conformance
from webapp.cli.common import emit


@click.command("conformance")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def conformance_cmd(directory: Path, as_json: bool) -> None:
    """Check every BPMN file under DIRECTORY in a scratch database: deployed | refused (reason) | warnings."""
    report = conformance.check_directory(directory)
    payload = [entry.to_dict() for entry in report]
    emit(as_json, payload, "\n".join(entry.line() for entry in report))
