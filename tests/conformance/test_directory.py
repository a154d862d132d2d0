"""`govflow conformance DIR` (engine.ops.conformance.check_directory) agrees with the expectations table."""

from __future__ import annotations

import pytest
from conftest import CONFORMANCE_DIR

from engine.core.problems import ERROR
from engine.ops.conformance import Entry, check_directory

from .expectations import DEPLOYED, EXPECTATIONS, REFUSED, matches


@pytest.fixture(scope="module")
def report() -> dict[str, Entry]:
    return {entry.file: entry for entry in check_directory(CONFORMANCE_DIR)}


def test_directory_report_covers_every_file(report: dict[str, Entry]) -> None:
    assert sorted(report) == sorted(EXPECTATIONS)
    deployed = [name for name, entry in report.items() if entry.status == DEPLOYED]
    refused = [name for name, entry in report.items() if entry.status == REFUSED]
    assert len(deployed) + len(refused) == len(EXPECTATIONS)


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_directory_entry_matches_expectation(report: dict[str, Entry], name: str) -> None:
    expect, entry = EXPECTATIONS[name], report[name]
    line = entry.line()
    assert line.startswith(f"{name}: {expect.outcome}"), line
    if expect.outcome == DEPLOYED:
        assert sorted(p["process_id"] for p in entry.processes) == sorted(expect.processes), line
        assert all(p["version"] >= 1 for p in entry.processes)
    else:
        assert entry.reason and entry.reason in line
        errors = [f"{p.code} {p.message} {p.element_id or ''}" for p in entry.problems if p.severity == ERROR]
        for wanted in expect.reason:
            assert any(matches(wanted, text) for text in errors), f"{wanted!r} not in:\n" + "\n".join(errors)
        assert entry.to_dict()["errors"], "the JSON report must list the errors"
