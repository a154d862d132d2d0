"""The scenario fixture shared by the corpus run and the state-format comparison."""

from __future__ import annotations

import pytest

from engine.bpmn.sandbox import make_script_engine
from engine.core.clock import as_utc
from engine.flow import instances

from . import scenarios_approval, scenarios_cli, scenarios_extra, scenarios_spiff, scenarios_vendor  # noqa: F401
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

