"""Guards used by the sandbox: what restricted code may touch, and how much work it may do."""

from __future__ import annotations

import ast
import contextvars
from collections.abc import Iterable, Iterator
from typing import Any

from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr

MAX_ITERATIONS = 1_000_000      # loop steps per expression or script run
MAX_RANGE = 100_000             # items one range() may produce
MAX_SEQUENCE = 1_000_000        # items/characters a multiplication may produce
MAX_EXPONENT = 10_000           # bits a power may produce (roughly)
FORBIDDEN_ATTRIBUTES = frozenset({
    "format", "format_map", "ljust", "rjust", "center", "zfill", "expandtabs",
    "gi_frame", "gi_code", "cr_frame", "ag_frame", "f_globals", "f_locals", "f_back", "tb_frame",
    "mro", "func_globals",
})

_budget: contextvars.ContextVar[list[int]] = contextvars.ContextVar("sandbox_budget")


class SandboxViolation(Exception):
    """Restricted code tried something the sandbox does not allow."""


def new_budget() -> contextvars.Token[list[int]]:
    return _budget.set([MAX_ITERATIONS])


def reset_budget(token: contextvars.Token[list[int]]) -> None:
    _budget.reset(token)


def _spend(count: int = 1) -> None:
    budget = _budget.get(None)
    if budget is None:
        return
    budget[0] -= count
    if budget[0] < 0:
        raise SandboxViolation(f"the script took more than {MAX_ITERATIONS} loop steps; simplify it")


def guarded_getattr(obj: Any, name: str, default: Any = None, getattr: Any = safer_getattr) -> Any:
    """Attribute access without private names, frames or string formatting tricks."""
    if not isinstance(name, str) or name.startswith("_") or name in FORBIDDEN_ATTRIBUTES:
        raise SandboxViolation(f"access to attribute '{name}' is not allowed in BPMN expressions")
    return getattr(obj, name, default)


def guarded_getiter(obj: Iterable[Any]) -> Iterator[Any]:
    """Iteration that counts against the run's loop budget."""
    for item in iter(obj):
        _spend()
        yield item


def guarded_getitem(obj: Any, index: Any) -> Any:
    return default_guarded_getitem(obj, index)


def write_guard(obj: Any) -> Any:
    """Scripts may change dicts and lists they hold, never attributes of other objects."""
    if isinstance(obj, dict | list | set):
        return obj
    raise SandboxViolation(f"changing a {type(obj).__name__} object is not allowed in BPMN scripts")


def inplace_var(op: str, left: Any, right: Any) -> Any:
    operations = {"+=": sandbox_add, "-=": lambda a, b: a - b, "*=": sandbox_mul,
                  "/=": lambda a, b: a / b, "//=": lambda a, b: a // b, "%=": lambda a, b: a % b}
    if op not in operations:
        raise SandboxViolation(f"the operator {op} is not allowed in BPMN scripts")
    return operations[op](left, right)


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def sandbox_mul(left: Any, right: Any) -> Any:
    """Multiplication that refuses to build huge strings or lists."""
    for seq, times in ((left, right), (right, left)):
        size = _length(seq)
        if size is not None and isinstance(times, int) and size * max(times, 0) > MAX_SEQUENCE:
            raise SandboxViolation(f"the result would hold more than {MAX_SEQUENCE} items")
    return left * right


def sandbox_add(left: Any, right: Any) -> Any:
    """Addition that refuses to grow strings or lists past the size limit (doubling loops)."""
    a, b = _length(left), _length(right)
    if a is not None and b is not None and a + b > MAX_SEQUENCE * 10:
        raise SandboxViolation(f"the result would hold more than {MAX_SEQUENCE * 10} items")
    return left + right


def sandbox_pow(base: Any, exponent: Any, modulo: Any = None) -> Any:
    """Powers with bounded result size."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if abs(base).bit_length() * exponent > MAX_EXPONENT:
            raise SandboxViolation("the power is too large to compute")
    return pow(base, exponent, modulo) if modulo is not None else base ** exponent


def sandbox_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SandboxViolation(f"range() may produce at most {MAX_RANGE} numbers")
    return result


class _Rewriter(ast.NodeTransformer):
    """Routes * and ** through size checks; refuses while loops, imports and class definitions."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        target = {ast.Mult: "sandbox_mul", ast.Pow: "sandbox_pow", ast.Add: "sandbox_add"}.get(type(node.op))
        if target is None:
            return node
        call = ast.Call(func=ast.Name(id=target, ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)

    def visit_While(self, node: ast.While) -> ast.AST:
        raise SandboxViolation(f"line {node.lineno}: while loops are not allowed; use a for loop over a list")

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        raise SandboxViolation(f"line {node.lineno}: class definitions are not allowed in BPMN scripts")


def rewrite(source: str, mode: str) -> ast.AST:
    tree = ast.parse(source, filename="<string>", mode=mode)
    return ast.fix_missing_locations(_Rewriter().visit(tree))


def guard_globals() -> dict[str, Any]:
    return {
        "_getattr_": guarded_getattr, "_getitem_": guarded_getitem, "_getiter_": guarded_getiter,
        "_write_": write_guard, "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence, "_inplacevar_": inplace_var,
        "sandbox_mul": sandbox_mul, "sandbox_pow": sandbox_pow, "sandbox_add": sandbox_add,
    }
