"""The layering rules of DESIGN.md, checked on the source: the engine never imports the web stack,
and only engine/bpmn/ imports SpiffWorkflow."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
WEB = {"flask", "werkzeug", "jinja2", "webapp", "flask_sqlalchemy", "flask_migrate", "flask_babel"}


def _imports(source: str) -> set[str]:
    """Top-level package of every import statement, wherever it appears (functions included)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args and isinstance(node.args[0], ast.Constant)):
            found.add(str(node.args[0].value).split(".")[0])
    return found


def _modules() -> dict[str, set[str]]:
    return {str(p.relative_to(ENGINE)): _imports(p.read_text(encoding="utf-8")) for p in sorted(ENGINE.rglob("*.py"))}


def test_the_checker_sees_every_form_of_import() -> None:
    source = ("import werkzeug.security\nfrom flask import g\n"
              "def f():\n    from jinja2 import Template\n    import importlib\n"
              "    importlib.import_module('webapp.cli')\n"
              "from SpiffWorkflow.bpmn import BpmnWorkflow\nfrom . import sibling\n")
    assert _imports(source) == {"werkzeug", "flask", "jinja2", "importlib", "webapp", "SpiffWorkflow"}


def test_engine_never_imports_the_web_stack() -> None:
    modules = _modules()
    assert len(modules) > 20 and "tasks.py" in modules and "bpmn/runtime.py" in modules
    offenders = {name: sorted(found & WEB) for name, found in modules.items() if found & WEB}
    assert offenders == {}


def test_only_the_bpmn_facade_imports_spiffworkflow() -> None:
    modules = _modules()
    offenders = [name for name, found in modules.items() if "SpiffWorkflow" in found and not name.startswith("bpmn/")]
    assert offenders == []
    assert any("SpiffWorkflow" in found for name, found in modules.items() if name.startswith("bpmn/"))
