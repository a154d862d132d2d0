"""The only place BPMN expressions and scripts run: RestrictedPython with an allow-list, never bare eval.

Allowed builtins: a small set of pure functions (len, sum, min, max, sorted, str, int, ...), plus
is_empty() and truthy() used by translated JUEL, plus the functions the engine passes in (now(), ...).
Refused: imports, private attributes (anything starting with _), frames, string formatting methods,
eval/exec/open/compile/globals/type/getattr..., while loops, class definitions, and work beyond fixed
limits (loop steps, range size, huge strings, lists and powers).
"""

from __future__ import annotations

import keyword
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from RestrictedPython import PrintCollector, compile_restricted, safe_builtins
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.bpmn import sandbox_guards as guards

KEYWORD_PREFIX = "v_"
_CACHE_SIZE = 4096
_REMOVED_BUILTINS = {"setattr", "delattr", "__build_class__", "id", "hash", "callable", "issubclass"}


def is_empty(value: Any) -> bool:
    """JUEL's `empty`: None, empty text and empty collections."""
    return value is None or (isinstance(value, str | list | tuple | dict | set) and len(value) == 0)


def truthy(value: Any) -> bool:
    """JUEL-style truth: the strings 'false', '0' and '' count as false."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no", "off")
    return bool(value)


def _builtins() -> dict[str, Any]:
    allowed = {k: v for k, v in safe_builtins.items() if k not in _REMOVED_BUILTINS}
    allowed.update(sum=sum, min=min, max=max, any=any, all=all, sorted=sorted, list=list, dict=dict,
                   tuple=tuple, set=set, enumerate=enumerate, zip=zip, reversed=reversed, map=map,
                   filter=filter, range=guards.sandbox_range, pow=guards.sandbox_pow)
    return allowed


_BASE_GLOBALS: dict[str, Any] = {"__builtins__": _builtins(), **guards.guard_globals(), "_print_": PrintCollector,
                                 "is_empty": is_empty, "truthy": truthy}


class _CodeCache:
    """Compiled code by (mode, source): the same gateway condition runs many times a second."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, mode: str, source: str) -> Any:
        key = (mode, source)
        with self._lock:
            code = self._items.get(key)
            if code is not None:
                self._items.move_to_end(key)
                return code
        code = _compile(source, mode)
        with self._lock:
            self._items[key] = code
            if len(self._items) > _CACHE_SIZE:
                self._items.popitem(last=False)
        return code


def _compile(source: str, mode: str) -> Any:
    """Restricted compilation; syntax errors become readable ValueErrors (not SyntaxError without line)."""
    try:
        tree = guards.rewrite(source, mode)
    except SyntaxError as exc:
        raise ValueError(f"syntax error at line {exc.lineno}, column {exc.offset}: {exc.msg}") from None
    try:
        with warnings.catch_warnings():  # "prints but never reads 'printed'" is expected for print()
            warnings.simplefilter("ignore", SyntaxWarning)
            return compile_restricted(tree, filename="<string>", mode=mode)  # type: ignore[arg-type]
    except SyntaxError as exc:
        raise guards.SandboxViolation(str(exc).replace("\n", "; ")) from None


CODE_CACHE = _CodeCache()


def _aliases(context: dict[str, Any]) -> dict[str, Any]:
    return {KEYWORD_PREFIX + k: v for k, v in context.items() if keyword.iskeyword(k)}


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment whose evaluate/execute run restricted, bounded code."""

    def __init__(self, functions: dict[str, Callable[..., Any]] | None = None,
                 services: dict[str, Callable[..., Any]] | None = None):
        super().__init__(dict(functions or {}))
        self.services = dict(services or {})

    def _globals(self, external_context: dict[str, Any] | None) -> dict[str, Any]:
        found = dict(_BASE_GLOBALS)
        found.update(self.globals)
        found.update(external_context or {})
        return found

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        code = CODE_CACHE.get("eval", str(expression).strip())
        scope = self._globals(external_context)
        scope.update(context)
        scope.update(_aliases(context))
        token = guards.new_budget()
        try:
            return eval(code, scope)  # noqa: S307 - restricted code object, see module docstring
        finally:
            guards.reset_budget(token)

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        clashes = (set(self.globals) | set(external_context or {})) & set(context)
        if clashes:
            raise ValueError("task data overwrites predefined function(s); rename these fields: "
                             + ", ".join(sorted(clashes)))
        code = CODE_CACHE.get("exec", script)
        added = self._globals(external_context)
        aliases = _aliases(context)
        context.update(added)
        context.update(aliases)
        token = guards.new_budget()
        try:
            exec(code, context)  # noqa: S102 - restricted code object, see module docstring
        finally:
            guards.reset_budget(token)
            for key in list(context):
                value = context[key]
                if key in added or key == "__builtins__" or callable(value) or (
                        key in aliases and value is aliases[key]):
                    context.pop(key)
        return True

    def call_service(self, context: dict[str, Any], operation_name: str = "",
                     operation_params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        service = self.services.get(operation_name)
        if service is None:
            raise ValueError(f"service '{operation_name}' is not available in govflow; "
                             f"known services: {', '.join(sorted(self.services)) or 'none'}")
        return service(context, **(operation_params or {}))


def make_script_engine(functions: dict[str, Callable[..., Any]] | None = None,
                       services: dict[str, Callable[..., Any]] | None = None) -> PythonScriptEngine:
    """A SpiffWorkflow script engine running everything through the sandbox."""
    return PythonScriptEngine(environment=SandboxEnvironment(functions, services))
