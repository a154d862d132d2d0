"""Deploy-time compilation of every script, condition and expression a process holds, through the sandbox.

Without it a script with a syntax error, or one the sandbox refuses (import, while, _private names),
deploys and fails only when a case reaches it. Each problem names the element and the file line of the
fault (the element's line plus the line inside the script).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.bpmn.sandbox import CODE_CACHE, SandboxSyntaxError
from engine.core.problems import ERROR, Problem

_SCRIPT_TAGS = ("script", "preScript", "postScript")


def _expressions(task_spec: Any) -> Iterator[tuple[str, str, str]]:
    """(mode, source, what) for the code one task spec runs."""
    for attr, what in (("script", "script"), ("prescript", "pre-script"), ("postscript", "post-script")):
        source = getattr(task_spec, attr, None)
        if isinstance(source, str) and source.strip():
            yield "exec", source, what
    for cond, _ in getattr(task_spec, "cond_task_specs", None) or []:
        source = (getattr(cond, "args", None) or [None])[0]
        if isinstance(source, str) and source.strip():
            yield "eval", source.strip(), "condition"
    for attr, what in (("cardinality", "loop cardinality"), ("condition", "completion or loop condition")):
        source = getattr(task_spec, attr, None)
        if isinstance(source, str) and source.strip():
            yield "eval", source.strip(), what
    definition = getattr(task_spec, "event_definition", None)
    parts = getattr(definition, "event_definitions", None) or [definition]
    for part in parts:
        if isinstance(part, TimerEventDefinition | ConditionalEventDefinition) and isinstance(part.expression, str):
            yield "eval", part.expression.strip(), "timer" if isinstance(part, TimerEventDefinition) else "condition"


def _element_line(tree: etree._ElementTree | None, element_id: str | None, script: bool) -> int | None:
    if tree is None or not element_id:
        return None
    found = tree.getroot().xpath("//*[@id=$i]", i=element_id)
    if not found:
        return None
    if script:
        for child in found[0].iter():
            if isinstance(child.tag, str) and etree.QName(child).localname in _SCRIPT_TAGS:
                return int(child.sourceline or found[0].sourceline)
    return int(found[0].sourceline)


def check(specs: list[Any], filename: str, tree: etree._ElementTree | None) -> list[Problem]:
    """Every script and expression of the given process specs (and their sub-process specs) that the
    sandbox cannot compile, as located problems."""
    problems: list[Problem] = []
    seen: set[tuple[str | None, str]] = set()
    for spec in specs:
        for task_spec in spec.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None)
            for mode, source, what in _expressions(task_spec):
                if (element, source) in seen:
                    continue
                seen.add((element, source))
                try:
                    CODE_CACHE.get(mode, source)
                except SandboxSyntaxError as exc:
                    base = _element_line(tree, element, mode == "exec")
                    line = base + (exc.lineno or 1) - 1 if base is not None and mode == "exec" else base
                    name = getattr(task_spec, "bpmn_name", None) or element
                    problems.append(Problem(ERROR, "invalid-code", f"the {what} of '{name}' cannot run: {exc.msg} "
                                            f"(line {exc.lineno} of the {what}); correct it in the modeler",
                                            filename, line, element))
    return problems
