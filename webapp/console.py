"""The `govflow` console script: Flask's command group around the app factory."""

from __future__ import annotations

from flask.cli import FlaskGroup

from webapp.app import create_app


def main() -> None:
    """Entry point of the `govflow` console script."""
    cli = FlaskGroup(create_app=lambda: create_app(serving=False), add_version_option=False,
                     help="govflow: BPMN approval platform for government offices.")
    cli.main(prog_name="govflow")
