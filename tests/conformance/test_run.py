"""Every runnable corpus path runs to its end, straight and with a save-and-reload before every step."""

from __future__ import annotations

import pytest

from .expectations import DEPLOYED, EXPECTATIONS
from .scenarios import REGISTRY, Run

MODES = ["straight", "reload"]


@pytest.mark.parametrize("run", MODES, indirect=True)
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_scenario(run: Run, name: str) -> None:
    REGISTRY[name].body(run)
    assert run.steps > 2


def test_every_runnable_file_has_a_scenario() -> None:
    covered = {f for item in REGISTRY.values() for f in item.files if not f.startswith("extra/")}
    runnable = {name for name, e in EXPECTATIONS.items() if e.outcome == DEPLOYED}
    assert sorted(runnable - covered) == []
    assert sorted(covered - runnable) == []
