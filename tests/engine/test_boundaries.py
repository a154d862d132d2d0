"""The layering rules of DESIGN.md, checked on the source: the engine never imports the web stack,
and only engine/bpmn/ imports SpiffWorkflow."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
WEB = {"flask", "werkzeug", "jinja2", "webapp", "flask_sqlalchemy", "flask_migrate"}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_engine_never_imports_the_web_stack() -> None:
    modules = sorted(ENGINE.rglob("*.py"))
    assert len(modules) > 20
    offenders = {str(p.relative_to(ENGINE)): sorted(_imports(p) & WEB) for p in modules if _imports(p) & WEB}
    assert offenders == {}


def test_only_the_bpmn_facade_imports_spiffworkflow() -> None:
    offenders = [str(p.relative_to(ENGINE)) for p in ENGINE.rglob("*.py")
                 if "SpiffWorkflow" in _imports(p) and p.parent.name != "bpmn"]
    assert offenders == []
    assert any("SpiffWorkflow" in _imports(p) for p in (ENGINE / "bpmn").glob("*.py"))
