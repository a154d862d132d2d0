"""The scenario fixture shared by the corpus run and the state-format comparison."""

from __future__ import annotations

from typing import Any

import pytest

from engine.bpmn.sandbox import make_script_engine
from engine.core.clock import as_utc
from engine.flow import instances

from . import scenarios_approval, scenarios_cli, scenarios_extra, scenarios_spiff, scenarios_vendor  # noqa: F401
from .expectations import DEPLOYED, EXPECTATIONS
from .scenarios import Run


@pytest.fixture
def run(session, now, monkeypatch, request) -> Run:
    """A scenario world, straight or with a save-and-reload before every step (the parameter)."""
    world = Run(session, now, reload=request.param == "reload")

    def script_engine_for(moment, session=None):
        """The engine's sandbox plus the helper functions the scenario's models call."""
        at = as_utc(moment)
        return make_script_engine(functions={"now": lambda: at, **world.functions})

    monkeypatch.setattr(instances, "script_engine_for", script_engine_for)
    return world


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The corpus in figures, from the deployment tests that ran and passed (MANIFEST: 76 files)."""
    passed = [r for r in terminalreporter.stats.get("passed", [])
              if "test_deploys_or_is_refused_as_expected[" in r.nodeid]
    if not passed:
        return
    names = [r.nodeid.split("[", 1)[1].rstrip("]") for r in passed]
    deployed = sum(EXPECTATIONS[n].outcome == DEPLOYED for n in names if n in EXPECTATIONS)
    terminalreporter.write_line(f"conformance corpus: {deployed} deployed / {len(names) - deployed} refused "
                                f"of {len(names)} checked files")
