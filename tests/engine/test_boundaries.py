"""The layering rules of docs/architecture.md: setup.cfg's import contracts hold on the code, and they
do break when someone imports upward, imports the web stack or SpiffWorkflow where they must not, or
closes a circle. The contracts see every import statement; what they cannot see (importlib by name) is
refused here."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports over the engine and webapp packages found under `tree`, with its setup.cfg."""
    if not LINT_IMPORTS.exists():
        pytest.fail(f"{LINT_IMPORTS} is missing: install the test extras (pip install -e '.[test]')")
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "setup.cfg"], cwd=tree, capture_output=True,
                          text=True, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, timeout=300)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A copy of the packages and their contracts, to break on purpose."""
    for name in ("engine", "webapp"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "static",
                                                                                     "templates", "translations"))
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    return tmp_path


def _add_line(tree: Path, module: str, line: str) -> None:
    path = tree / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_contracts_hold_on_the_code() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    # A clock reaching up into the process runtime instead of asking engine.clocks.links.
    ("engine/clocks/alerts.py", "from engine.flow import instances  # noqa", "engine packages import only the layers below"),
    # A function-level import is an import all the same.
    ("engine/intake/lint.py", "def f():\n    from engine.flow import services  # noqa", "engine packages import only"),
    ("engine/core/db.py", "import webapp  # noqa", "the web app stands on the engine"),
    ("engine/flow/tasks.py", "import flask  # noqa", "engine never imports the web stack"),
    ("engine/flow/tasks.py", "import SpiffWorkflow  # noqa", "only engine.bpmn imports SpiffWorkflow"),
    # Two modules of one package importing each other.
    ("engine/flow/models.py", "from engine.flow import instances  # noqa", "no import circles"),
])
def test_a_deliberate_violation_breaks_its_contract(scratch: Path, module: str, line: str, contract: str) -> None:
    _add_line(scratch, module, line)
    result = _lint_imports(scratch)
    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if row.rstrip().endswith("BROKEN")]
    assert any(contract in row for row in broken), result.stdout


def test_a_new_engine_package_must_take_a_layer(scratch: Path) -> None:
    (scratch / "engine" / "reports").mkdir()
    (scratch / "engine" / "reports" / "__init__.py").write_text('"""Not placed in any layer."""\n')
    result = _lint_imports(scratch)
    assert result.returncode != 0
    assert "engine.reports" in result.stdout + result.stderr


def _hidden_imports(source: str) -> list[str]:
    """Modules loaded by name (importlib.import_module, __import__): no contract can see them."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("import_module", "__import__"):
                found.append(ast.unparse(node))
    return found


def test_the_checker_sees_loading_by_name() -> None:
    source = "import importlib\ndef f():\n    importlib.import_module('engine.gov.documents')\n    __import__('x')\n"
    assert _hidden_imports(source) == ["importlib.import_module('engine.gov.documents')", "__import__('x')"]


def test_nothing_is_loaded_by_name() -> None:
    offenders = {str(path.relative_to(ROOT)): found for package in ("engine", "webapp")
                 for path in sorted((ROOT / package).rglob("*.py"))
                 if (found := _hidden_imports(path.read_text(encoding="utf-8")))}
    assert offenders == {}


def test_no_module_is_longer_than_450_lines() -> None:
    """Rooms a newcomer can read: a module that grows past this splits where a real step begins."""
    long = {str(path.relative_to(ROOT)): n for package in ("engine", "webapp")
            for path in sorted((ROOT / package).rglob("*.py"))
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 450}
    assert long == {}
