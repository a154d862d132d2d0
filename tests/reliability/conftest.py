"""The reliability suite prints its figures at the end of the run (fired once, lost, 500s under fuzz),
whichever pytest worker measured them: each test appends a line to one file, the controller prints it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "test-artifacts" / f"reliability-figures-{os.environ.get('GOVFLOW_TEST_DATABASE', 'sqlite')}.txt"


def report(line: str) -> None:
    """Keep one figure line for the summary (called by the tests that measure)."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a", encoding="utf-8") as handle:
        handle.write(line.rstrip() + "\n")


def pytest_sessionstart(session: Any) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without xdist)
        FIGURES.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES.exists():
        terminalreporter.section("reliability figures")
        for line in FIGURES.read_text(encoding="utf-8").splitlines():
            terminalreporter.write_line(line)
