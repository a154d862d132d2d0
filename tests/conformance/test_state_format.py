"""The engine's fast state converters write exactly what SpiffWorkflow's own converters would.

Every runnable corpus scenario is driven once; after each saved step the stored state (the last whole
state with the deltas of the steps since applied) is compared, as parsed JSON, with SpiffWorkflow's stock task and workflow conversion of the same live workflow.
(The reload mode of test_run.py separately proves that SpiffWorkflow's loader reads it back.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.bpmn.serializer import StateSerializer, serializer
from engine.flow import instances, state_store

from .scenarios import REGISTRY, Run

REFERENCE = StateSerializer(reference=True)


@pytest.mark.parametrize("run", ["straight"], indirect=True)
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_stored_state_equals_spiffworkflow_conversion(run: Run, name: str, monkeypatch: Any) -> None:
    compared: list[str] = []

    def compare(session: Any, inst: Any) -> None:
        _share_data_types(REFERENCE.registry, serializer().registry)
        wf = session.info[instances._PENDING][(inst.uid, inst.lock_version)]
        stored, expected = state_store.read(session, inst)[0], json.loads(REFERENCE.dump(wf))  # with its deltas
        assert stored == expected, f"state of instance {inst.id} differs from SpiffWorkflow's conversion"
        compared.append(inst.uid)

    monkeypatch.setattr(instances, "AFTER_SAVE_HOOKS", [compare])
    REGISTRY[name].body(run)
    assert compared, "the scenario saved no state to compare"


def _share_data_types(reference: Any, live: Any) -> None:
    """Data types a scenario registered on the engine's serializer convert the same way here."""
    for cls, typename in live.typenames.items():
        if cls not in reference.typenames:
            reference.typenames[cls] = typename
            reference.convert_to_dict[typename] = live.convert_to_dict[typename]
