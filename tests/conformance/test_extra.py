"""Files we wrote ourselves (tests/conformance/extra/), each run straight and with reloads."""

from __future__ import annotations

import pytest

from .scenarios import EXTRA, EXTRA_DIR, REGISTRY, Run

MODES = ["straight", "reload"]


@pytest.mark.parametrize("run", MODES, indirect=True)
@pytest.mark.parametrize("name", sorted(EXTRA))
def test_extra_scenario(run: Run, name: str) -> None:
    EXTRA[name].body(run)
    assert run.steps > 2


def test_every_extra_file_has_a_scenario() -> None:
    covered = {f.removeprefix("extra/") for item in [*EXTRA.values(), *REGISTRY.values()] for f in item.files
               if f.startswith("extra/")}
    files = {p.name for p in EXTRA_DIR.iterdir() if p.suffix in (".bpmn", ".dmn", ".json", ".form")}
    assert sorted(files - covered) == []
