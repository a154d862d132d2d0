"""The values a BPMN property must take when the engine acts on it, so lint can refuse any other.

The layer that acts on a property says what it accepts when it is loaded (the flow layer: `service`,
the names of built-in services; the clocks: `clock_pause`, the time the law excludes). Intake itself
knows none of them and never imports those layers; a property nobody has registered is not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Accepted:
    """What one property accepts: the problem code, the values (read at each check), and the refusal text."""

    code: str
    values: Callable[[], Sequence[str]]
    refusal: Callable[[str, Sequence[str]], str]


_PROPERTIES: dict[str, Accepted] = {}


def accept(name: str, accepted: Accepted) -> None:
    """Register (or replace) what property `name` accepts."""
    _PROPERTIES[name] = accepted


def accepted(name: str | None) -> Accepted | None:
    return _PROPERTIES.get(name) if name else None
