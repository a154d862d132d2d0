"""Every runnable corpus path runs to its end, straight and with a save-and-reload before every step."""

from __future__ import annotations

import pytest

from engine import instances
from engine.bpmn.sandbox import make_script_engine
from engine.clock import as_utc

from . import scenarios_approval, scenarios_cli, scenarios_spiff, scenarios_vendor  # noqa: F401  (register)
from .expectations import DEPLOYED, EXPECTATIONS
from .scenarios import REGISTRY, Run

MODES = ["straight", "reload"]


@pytest.fixture
def run(session, now, monkeypatch, request) -> Run:
    world = Run(session, now, reload=request.param == "reload")

    def script_engine_for(moment, session=None):
        """The engine's sandbox plus the helper functions the scenario's models call."""
        at = as_utc(moment)
        return make_script_engine(functions={"now": lambda: at, **world.functions})

    monkeypatch.setattr(instances, "script_engine_for", script_engine_for)
    return world


@pytest.mark.parametrize("run", MODES, indirect=True)
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_scenario(run: Run, name: str) -> None:
    REGISTRY[name].body(run)
    assert run.steps > 2


def test_every_runnable_file_has_a_scenario() -> None:
    covered = {f for item in REGISTRY.values() for f in item.files}
    runnable = {name for name, e in EXPECTATIONS.items() if e.outcome == DEPLOYED}
    assert sorted(runnable - covered) == []
    assert sorted(covered - runnable) == []
