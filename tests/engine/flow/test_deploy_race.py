"""Two designers deploying the same process at the same moment: one gets the next version number, the
other a clear Conflict (not a database integrity error), and nothing half-written remains. Real
commits on a fresh database; the interleaving is forced, not timed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.core.db import make_sessionmaker
from engine.core.errors import Conflict
from engine.flow import definitions

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn" / "approval.bpmn"
NOW = datetime(2026, 11, 2, 1, tzinfo=UTC)


def test_a_deployment_that_loses_the_version_race_is_a_conflict(fresh_engine, monkeypatch) -> None:
    engine = fresh_engine()
    sessions = make_sessionmaker(engine)
    first, second = FIXTURE.read_bytes(), FIXTURE.read_bytes().replace(b"Simple approval", b"Approval v2")
    with sessions.begin() as session:  # both contents are stored; v2 is the latest
        definitions.deploy(session, "dana", NOW, [("approval.bpmn", first)])
        definitions.deploy(session, "dana", NOW, [("approval.bpmn", second)])

    original = definitions.latest_version
    raced: list[int] = []
    calls: list[str] = []

    def latest_then_someone_else_deploys(session, process_id):
        found = original(session, process_id)
        calls.append(process_id)
        if len(calls) == 1:  # after the loser has read "latest is v2", the winner brings back v1's bytes
            with sessions.begin() as winner:
                raced.extend(p.version for p in definitions.deploy(
                    winner, "wang", NOW, [("approval.bpmn", first)]).processes)
        return found

    loser = sessions()
    try:
        monkeypatch.setattr(definitions, "latest_version", latest_then_someone_else_deploys)
        with pytest.raises(Conflict, match="approval"):
            definitions.deploy(loser, "dana", NOW, [("approval.bpmn", first)])
        loser.rollback()
    finally:
        loser.close()
        monkeypatch.undo()
    assert raced == [3]
    with sessions() as check:
        listed = [(v.process_id, v.version, v.file.content == first) for v, _ in definitions.list_versions(check)]
        assert listed == [("approval", 1, True), ("approval", 2, False), ("approval", 3, True)]
