"""The reliability suite prints its figures at the end of the run (fired once, lost, 500s under fuzz),
whichever pytest worker measured them: each test appends a line to one file, and the hooks in
tests/conftest.py (loaded by the xdist controller too) clear it at the start and print it at the end."""

from __future__ import annotations

from tests.conftest import FIGURES


def report(line: str) -> None:
    """Keep one figure line for the summary (called by the tests that measure)."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a", encoding="utf-8") as handle:
        handle.write(line.rstrip() + "\n")
