"""The only place BPMN expressions and scripts run: RestrictedPython with an allow-list, never bare eval/exec.

Gateway conditions, timer/MI/loop expressions and script tasks compile with RestrictedPython plus the
govflow policy below, and run with the guards of engine.bpmn.sandbox_guards.

What designers may call (the allow-list):
  builtins   len sum min max any all sorted reversed enumerate zip map filter range (at most 100,000
             numbers) abs round divmod pow int float complex str bool list dict tuple set frozenset slice
             isinstance issubclass callable chr ord hex oct repr print, the standard exception classes
             (except BaseException, SystemExit, KeyboardInterrupt, GeneratorExit), True/False/None;
             methods of values reached by attribute access (str.upper, dict.get, list.append, ...).
  govflow    is_empty(x), truthy(x), to_date(x), to_datetime(x), days_between(a, b), add_days(x, n),
             timedelta(...), now() (only if the engine passes it: the sandbox never reads the wall clock),
             el_eq, el_lt, el_add, el_bool, el_get, el_call ... (EL's operators, engine/bpmn/el.py),
             plus whatever the engine passes to make_script_engine(functions=...).
  aliases    a data field named like a Python keyword (e.g. `pass`) is also visible as `v_pass`.
Refused at compile time: import, while loops, class definitions, names and attributes starting with
'_', eval/exec, f-string padding wider than 10,000 or computed; (by RestrictedPython) async code, try/except*.
Refused at run time: eval, exec, open, compile, globals, locals, vars, getattr, setattr, type, help,
breakpoint (none exist), attributes format/format_map/translate, frames, code objects, modules, clock
readers (.now(), .today()), writes to anything but dicts/lists/sets, more than 100,000 loop steps or
calls, results over 1,000,000 characters/items or 100,000 bits, more than 256 MB memory growth or 2 s
CPU while looping, and task data over 10,000,000 characters/items written out (or cyclic, or >100 deep).
A refusal caught by the script's own try/except still fails the run. A failing script leaves the keys of
the task data as they were. def and lambda are allowed: sorted(key=...) and small helpers need them; every call is charged to the
loop budget (so recursion is bounded) and functions never end up in task data.
"""

from __future__ import annotations

import ast
import json
import keyword
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from types import CodeType
from typing import Any, cast

from RestrictedPython import PrintCollector, compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.bpmn import el
from engine.bpmn import sandbox_guards as guards
from engine.bpmn.sandbox_calls import CALL_GUARDS
from engine.bpmn.sandbox_guards import SandboxViolation

__all__ = ["SandboxEnvironment", "SandboxScriptEngine", "SandboxSyntaxError", "SandboxViolation",
           "make_script_engine", "is_empty", "truthy", "DESIGNER_FUNCTIONS", "CODE_CACHE", "KEYWORD_PREFIX"]

KEYWORD_PREFIX = "v_"
MAX_SOURCE = 65_536
_CACHE_SIZE = 4096
_FILENAME = "<string>"  # SpiffWorkflow finds script line numbers by this frame name


# --- functions offered to designers -------------------------------------------------------------------

def is_empty(value: Any) -> bool:
    """JUEL's `empty`: None, empty text and empty collections."""
    return value is None or (isinstance(value, str | list | tuple | dict | set) and len(value) == 0)


def truthy(value: Any) -> bool:
    """JUEL-style truth for form values: the strings 'false', '0' and '' (also 'no', 'off') are false."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no", "off")
    return bool(value)


def _no_clock() -> datetime:
    """Stand-in for now() when the engine passed no clock: never fall back to the wall clock."""
    raise SandboxViolation("now() is not available here: the engine did not pass the current time")


def to_datetime(value: Any) -> datetime:
    """A datetime from an ISO text, a date or a datetime (form fields arrive as text)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def to_date(value: Any) -> date:
    """The calendar date of an ISO text, date or datetime."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return to_datetime(value).date()


def days_between(start: Any, end: Any) -> int:
    """Calendar days from start to end (negative if end is earlier)."""
    return (to_date(end) - to_date(start)).days


def add_days(value: Any, days: int) -> Any:
    """value plus n calendar days, in the same form it came in (ISO text stays text)."""
    if isinstance(value, date):
        return value + timedelta(days=int(days))
    moment = to_datetime(value)
    shifted = moment + timedelta(days=int(days))
    return shifted.date().isoformat() if len(str(value)) == 10 else shifted.isoformat()


DESIGNER_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "is_empty": is_empty, "truthy": truthy, "now": _no_clock, "to_date": to_date,
    "to_datetime": to_datetime, "days_between": days_between, "add_days": add_days, "timedelta": timedelta,
    **el.FUNCTIONS,  # EL's operators with EL's coercions, for translated JUEL (engine/intake/juel.py)
}

_DROPPED_BUILTINS = {"setattr", "delattr", "__build_class__", "_getattr_", "id", "hash",
                     "BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit"}


def _builtins() -> dict[str, Any]:
    allowed = {k: v for k, v in safe_builtins.items() if k not in _DROPPED_BUILTINS}
    allowed.update(sum=guards.numeric_sum, range=guards.bounded_range, pow=guards.power, min=min, max=max,
                   any=any, all=all, sorted=sorted, reversed=reversed, enumerate=enumerate, zip=zip,
                   map=map, filter=filter, list=list, dict=dict, tuple=tuple, set=set, frozenset=frozenset)
    return allowed


BUILTINS: dict[str, Any] = _builtins()
_RUNTIME: dict[str, Any] = {"__builtins__": BUILTINS, "_print_": PrintCollector, **guards.GUARD_NAMES,
                            **CALL_GUARDS}


# --- compilation --------------------------------------------------------------------------------------

class SandboxSyntaxError(SyntaxError):
    """Malformed or refused code; always carries a line number, so SpiffWorkflow can report it."""


_BINOP_GUARDS = {ast.Mult: "_sbx_mul_", ast.Add: "_sbx_add_", ast.Pow: "_sbx_pow_",
                 ast.LShift: "_sbx_lshift_", ast.Mod: "_sbx_mod_"}


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


def _located(new: Any, old: ast.AST) -> Any:
    """Give injected nodes the position of the code they guard (compile() needs one everywhere)."""
    for node in ast.walk(new):
        if "lineno" in node._attributes and not hasattr(node, "lineno"):
            ast.copy_location(node, old)
    return new


class GovflowPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus refusals and size guards for what a BPMN model never needs."""

    def visit_While(self, node: ast.While) -> ast.AST:
        self.error(node, "while loops are not allowed; loop with 'for' over a list or range()")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed")
        return node

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "import is not allowed; use the functions the engine provides")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        return self.visit_Import(node)  # type: ignore[arg-type]

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = cast(ast.BinOp, super().visit_BinOp(node))
        name = _BINOP_GUARDS.get(type(node.op))
        if name is None:
            return node
        return _located(_call(name, node.left, node.right), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        """f(x) becomes _sbx_call_(f, x): every call is checked (engine.bpmn.sandbox_calls)."""
        node = cast(ast.Call, super().visit_Call(node))
        return _located(ast.Call(func=ast.Name(id="_sbx_call_", ctx=ast.Load()), args=[node.func, *node.args],
                                 keywords=node.keywords), node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node = cast(ast.FunctionDef, super().visit_FunctionDef(node))
        node.body.insert(0, _located(ast.Expr(_call("_sbx_tick_")), node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = cast(ast.Lambda, super().visit_Lambda(node))
        node.body = _located(ast.BoolOp(op=ast.Or(), values=[_call("_sbx_tick_"), node.body]), node.body)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        spec = node.format_spec
        if isinstance(spec, ast.JoinedStr):
            if any(not isinstance(part, ast.Constant) for part in spec.values):
                self.error(node, "computed format specifications in f-strings are not allowed")
            text = "".join(str(part.value) for part in spec.values if isinstance(part, ast.Constant))
            if any(int(n) > guards.MAX_WIDTH for n in re.findall(r"\d+", text)):
                self.error(node, f"f-string widths above {guards.MAX_WIDTH} are not allowed")
        node = cast(ast.FormattedValue, super().visit_FormattedValue(node))
        node.value = _located(_call("_sbx_fmt_", node.value), node.value)
        return node


def _line(source: str, lineno: int | None) -> tuple[int, str]:
    """A line number inside the source (SpiffWorkflow indexes the script with it) and its text."""
    lines = source.splitlines() or [""]
    number = min(max(lineno or 1, 1), len(lines))
    return number, lines[number - 1]


def _refused(source: str, errors: tuple[str, ...] | list[str]) -> SandboxSyntaxError:
    found = re.match(r"Line (\d+): (.*)", errors[0], re.S)
    number, text = _line(source, int(found.group(1)) if found else None)
    message = found.group(2) if found else errors[0]
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem(s))"
    return SandboxSyntaxError(message, (_FILENAME, number, 1, text))


def compile_sandboxed(source: str, mode: str) -> CodeType:
    """Restricted compilation; every problem becomes a SandboxSyntaxError with a line number."""
    if len(source) > MAX_SOURCE:
        raise SandboxSyntaxError(f"the code is longer than {MAX_SOURCE} characters", (_FILENAME, 1, 1, ""))
    try:
        tree = ast.parse(source, filename=_FILENAME, mode=mode)
    except SyntaxError as exc:
        number, text = _line(source, exc.lineno)
        raise SandboxSyntaxError(f"invalid syntax: {exc.msg}", (_FILENAME, number, exc.offset or 1, text)) from None
    # compile_restricted_eval/_exec are compile_restricted returning the errors instead of raising a
    # SyntaxError without line number (and without touching the process-wide warnings filters).
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(cast(ast.Module, tree), filename=_FILENAME, policy=GovflowPolicy)
    if result.errors or result.code is None:
        raise _refused(source, list(result.errors) or ["the code could not be compiled"])
    return result.code


_LOOPING_NAMES = frozenset({"_getiter_", "_iter_unpack_sequence_", "_unpack_sequence_", "_sbx_tick_",
                            "_sbx_call_", "_sbx_fmt_", *_BINOP_GUARDS.values(), "_inplacevar_"})


def _loops(code: CodeType) -> bool:
    """Whether code (or code nested in it) iterates, calls, formats or computes with guarded operators,
    i.e. needs a run budget; plain comparisons and lookups (most gateway conditions) do not."""
    if not _LOOPING_NAMES.isdisjoint(code.co_names):
        return True
    return any(isinstance(const, CodeType) and _loops(const) for const in code.co_consts)


class CodeCache:
    """Bounded LRU of compiled code by (mode, source): the same condition runs thousands of times.

    Each entry also says whether the code can loop: loop-free expressions skip the budget bookkeeping.
    """

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], tuple[CodeType, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, mode: str, source: str) -> tuple[CodeType, bool]:
        key = (mode, source)
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
                return entry
        code = compile_sandboxed(source, mode)
        entry = (code, _loops(code))
        with self._lock:
            self._items[key] = entry
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return entry

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CODE_CACHE = CodeCache()


# --- the environment ----------------------------------------------------------------------------------

_KEYWORDS = frozenset(keyword.kwlist)


def _aliases(context: dict[str, Any]) -> dict[str, Any]:
    """v_<kw> for every data field named like a Python keyword (translated expressions use these)."""
    found = _KEYWORDS.intersection(context)
    if not found:
        return {}
    return {KEYWORD_PREFIX + k: context[k] for k in found if KEYWORD_PREFIX + k not in context}


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """TaskDataEnvironment's semantics (globals < external context < task data) with restricted code."""

    def __init__(self, functions: dict[str, Callable[..., Any]] | None = None,
                 services: dict[str, Callable[..., Any]] | None = None, cache: CodeCache = CODE_CACHE):
        super().__init__({**DESIGNER_FUNCTIONS, **(functions or {})})
        self.services = dict(services or {})
        self.cache = cache

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        """Value of one expression; task data shadows external context, which shadows functions."""
        code, loops = self.cache.get("eval", str(expression).strip())
        scope = {**self.globals, **external_context, **context} if external_context else {**self.globals, **context}
        if not _KEYWORDS.isdisjoint(context):
            scope.update(_aliases(context))
        scope.update(_RUNTIME)
        if not loops:  # nothing to count, and an expression cannot catch a refusal
            value = eval(code, scope)  # noqa: S307 - restricted code object, see module docstring
        else:
            run, token = guards.begin()
            try:
                value = eval(code, scope)  # noqa: S307 - restricted code object, see module docstring
            finally:
                guards.finish(token)
            guards.check(run)
        if isinstance(value, list | tuple | dict | set):  # MI collections and cardinalities end up in data
            guards.check_data_size((value,))
        return value

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        """Run a script; its new variables become task data, functions and helpers do not.

        Unlike TaskDataEnvironment the script runs on a copy of the top level of the data, so a failing
        or refused script leaves the task data's keys as they were.
        """
        external = external_context or {}
        self.check_for_overwrite(context, external)
        code, _ = self.cache.get("exec", script)
        aliases = _aliases(context)
        scope = {**context, **self.globals, **external, **aliases, **_RUNTIME}
        run, token = guards.begin()
        try:
            exec(code, scope)  # noqa: S102 - restricted code object, see module docstring
        finally:
            guards.finish(token)
        guards.check(run)
        for alias, original in aliases.items():
            value = scope.pop(alias, original)
            if value is not original:
                scope[alias[len(KEYWORD_PREFIX):]] = value
        kept = {k: v for k, v in scope.items() if not self._helper(k, v, context, external)}
        guards.check_data_size(kept.values())
        context.clear()
        context.update(kept)
        return True

    def _helper(self, key: str, value: Any, context: dict[str, Any], external: dict[str, Any]) -> bool:
        """What TaskDataEnvironment removes after a script, plus RestrictedPython's own names."""
        return (callable(value) or key in self.globals or key in external or key in _RUNTIME
                or (key.startswith("_") and key not in context))

    def check_for_overwrite(self, context: dict[str, Any], external_context: dict[str, Any]) -> None:
        """Task data named like a function would make it uncallable: fail fast with a clear message."""
        clashes = (set(self.globals) | set(external_context)) & set(context)
        if clashes:
            raise ValueError("task data overwrites predefined function(s); rename these fields: "
                             + ", ".join(sorted(clashes)))

    def call_service(self, context: dict[str, Any], operation_name: str | None = None,
                     operation_params: dict[str, Any] | None = None, **kwargs: Any) -> str:
        """Only allow-listed services run; each gets the evaluated parameter values, answers JSON text."""
        service = self.services.get(operation_name or "")
        if service is None:
            raise SandboxViolation(f"service '{operation_name}' is not allowed; allowed services: "
                                   f"{', '.join(sorted(self.services)) or 'none'}")
        values = {name: (p.get("value") if isinstance(p, dict) else p)
                  for name, p in (operation_params or {}).items()}
        result = service(**values)
        return result if isinstance(result, str) else json.dumps(result)


class SandboxScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose errors always name the reason, whatever exception the code raised."""

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as exc:
            exc.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as exc:
            error = WorkflowTaskException(f"Error evaluating expression '{expression}'", task=task, exception=exc)
            error.add_note(_describe(exc))
            raise error from exc

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as exc:  # SpiffWorkflow 3.2.0's own handler fails with NameError 'script'
            raise WorkflowTaskException(_describe(exc), task=task, exception=exc) from exc

    def create_task_exec_exception(self, task: Any, script: str, err: Exception) -> Exception:
        if err.args and not isinstance(err.args[0], str):  # e.g. KeyError(3): the base class needs text
            err.args = (str(err),)
        return super().create_task_exec_exception(task, script, err)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"{type(exc).__name__}: {exc.msg} (line {exc.lineno})"
    return f"{type(exc).__name__}: {exc}"


def make_script_engine(functions: dict[str, Callable[..., Any]] | None = None,
                       services: dict[str, Callable[..., Any]] | None = None) -> PythonScriptEngine:
    """A SpiffWorkflow script engine running everything through the sandbox (re-attach after every load)."""
    return SandboxScriptEngine(environment=SandboxEnvironment(functions, services))
