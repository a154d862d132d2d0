"""Problems found in a BPMN file, each located by file, line and element so a designer can fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding: errors refuse a deployment, warnings are shown and kept with the version."""

    severity: str
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    element_id: str | None = None
    element_name: str | None = None  # the element's name in the file, so a designer finds it on the canvas

    def format(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.element_id:
            where += f" [{self.element_id}]"
        return f"{where}: {self.severity}: {self.message} ({self.code})"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == ERROR for p in problems)
