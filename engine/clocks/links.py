"""What a clock needs to know of the case and the step it times, told by the layer that runs them.

A clock names its case and its step by id only: the clocks never import the process runtime above
them. The flow layer installs one `Cases` when it is loaded (engine/flow/clock_links.py); it reads a
case's process and title, follows a step to whoever holds it now, refreshes what the inbox shows when
clocks change, and delivers a policy's expiry message to the case. Until something is installed,
`cases()` knows no case: titles and holders are unknown and an expiry reports that nothing delivered it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session


class Cases(Protocol):
    """The cases and steps that clocks time, as the layer above them sees them."""

    def process_of(self, session: Session, instance_id: int) -> str | None:
        """The case's process id, which every clock of the case carries."""

    def title(self, session: Session, instance_id: int) -> str | None:
        """The case's title for a warning message (the object in the session, flushed or not)."""

    def titles(self, session: Session, instance_ids: set[int]) -> dict[int, str]:
        """Titles of many cases with one query."""

    def holder(self, session: Session, task_id: str) -> str | None:
        """Who holds the open step now (claimed, transferred, delegated); None if open to candidates or done."""

    def holders(self, session: Session, task_ids: set[str]) -> dict[str, str]:
        """holder() for many steps with one query: task id -> username, for held open steps only."""

    def step_names(self, session: Session, task_ids: set[str]) -> dict[str, str]:
        """The steps' names as people call them (部门审查), by task id, for warning messages."""

    def case_holders(self, session: Session, instance_ids: set[int]) -> dict[int, list[str]]:
        """Who holds each case's open steps now (assignees, else candidates): told of a clock that names
        no responsible person and no department, e.g. a letter that came in through the portal."""

    def clocks_written(self, session: Session, instance_ids: Iterable[int | None]) -> None:
        """Clock rows of these cases were written without the ORM: refresh whatever is kept from them."""

    def deliver(self, session: Session, now: datetime, instance_id: int, message: str) -> tuple[bool, str | None]:
        """Deliver an expiry message to a running case waiting for it: (delivered, why not)."""


class _NoCases:
    """Before the flow layer is loaded: no case is known."""

    def process_of(self, session: Session, instance_id: int) -> str | None:
        return None

    def title(self, session: Session, instance_id: int) -> str | None:
        return None

    def titles(self, session: Session, instance_ids: set[int]) -> dict[int, str]:
        return {}

    def holder(self, session: Session, task_id: str) -> str | None:
        return None

    def holders(self, session: Session, task_ids: set[str]) -> dict[str, str]:
        return {}

    def step_names(self, session: Session, task_ids: set[str]) -> dict[str, str]:
        return {}

    def case_holders(self, session: Session, instance_ids: set[int]) -> dict[int, list[str]]:
        return {}

    def clocks_written(self, session: Session, instance_ids: Iterable[int | None]) -> None:
        return None

    def deliver(self, session: Session, now: datetime, instance_id: int, message: str) -> tuple[bool, str | None]:
        return False, "no process runtime is loaded to deliver it"


_INSTALLED: list[Cases] = [_NoCases()]


def install(cases: Cases) -> None:
    """Called once by the layer that runs the cases, when it is loaded."""
    _INSTALLED[0] = cases


def cases() -> Cases:
    return _INSTALLED[0]
