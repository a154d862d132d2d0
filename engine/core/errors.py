"""Engine exceptions; the web and CLI edges map them to HTTP codes and exit statuses in one place."""

from __future__ import annotations

from engine.core.problems import Problem


class EngineError(Exception):
    """Base class so edges can catch every engine refusal at once."""

    code = "error"


class NotFound(EngineError):
    code = "not_found"


class Forbidden(EngineError):
    code = "forbidden"


class Conflict(EngineError):
    """Someone else changed the same thing first (stale task, concurrent completion)."""

    code = "conflict"


class InvalidInput(EngineError):
    """Bad data from a person; `field` names what to fix when there is one, `errors` every field at fault."""

    code = "invalid_input"

    def __init__(self, message: str, field: str | None = None, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.field = field
        self.errors = dict(errors or {})


class InvalidDefinition(EngineError):
    """A BPMN file that cannot be deployed; carries every problem found."""

    code = "invalid_definition"

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class ExecutionError(EngineError):
    """A step failed while running (a condition, script or timer); nothing was changed."""

    code = "execution_error"

    def __init__(self, message: str, element_id: str | None = None):
        super().__init__(message)
        self.element_id = element_id
