"""Every call and every f-string value in sandboxed code passes through here, so the limits hold for
each operation and not only in loops.

Before a call: the CPU time of the run is checked, and calls whose result size follows from their
arguments are refused when it would pass the limit (str/repr/print of a huge structure,
int.to_bytes(10**9), three-argument pow with huge numbers). After a call: a result longer than the
limit is refused, and a large one makes the run check its memory at once. (The policy in
engine.bpmn.sandbox rewrites `f(x)` to `_sbx_call_(f, x)` and `f"{x}"` to `f"{_sbx_fmt_(x)}"`.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.bpmn import sandbox_guards as guards

MAX_MODPOW_WORK = 1 << 26  # exponent bits times modulus bits of pow(b, e, m) (4096-bit keys stay possible)
_SIZED_RESULTS = (str, bytes, list, tuple, dict, set, frozenset)


def _text(value: Any) -> None:
    guards._sized(guards.text_size(value, guards.MAX_ITEMS), "text")


def _check_str(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if args and len(args) == 1 and not kwargs:
        _text(args[0])


def _check_print(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    guards._sized(sum(guards.text_size(a, guards.MAX_ITEMS) for a in args), "printed text")


def _check_pow(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if len(args) == 3 and all(isinstance(a, int) for a in args):
        if abs(args[1]).bit_length() * abs(args[2]).bit_length() > MAX_MODPOW_WORK:
            guards.refuse("pow() with such large numbers would take too long")


_BEFORE: dict[Any, Callable[[tuple[Any, ...], dict[str, Any]], None]] = {
    str: _check_str, repr: _check_str, ascii: _check_str, print: _check_print, pow: _check_pow,
    guards.power: _check_pow,
}


def _check_method(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Methods of values whose result size is an argument."""
    owner, name = getattr(function, "__self__", None), getattr(function, "__name__", "")
    if isinstance(owner, int) and name == "to_bytes":
        length = args[0] if args else kwargs.get("length", 1)
        if isinstance(length, int):
            guards._sized(length, "byte string")
    elif name == "_call_print":  # print(...), as RestrictedPython rewrites it
        _check_print(args, kwargs)
    elif isinstance(owner, str | bytes) and name in ("encode", "hex"):
        guards._sized(len(owner) * 4, "text")


def guarded_call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """f(*args, **kwargs) with the run's CPU checked first and the result size bounded."""
    run = guards.current()
    if run is not None:
        if run.refusal is not None:
            raise guards.SandboxViolation(run.refusal)
        guards.check_cpu(run)
    try:
        before = _BEFORE.get(function)
    except TypeError:  # an unhashable callable
        before = None
    if before is not None:
        before(args, kwargs)
    elif getattr(function, "__self__", None) is not None:
        _check_method(function, args, kwargs)
    result = function(*args, **kwargs)
    if isinstance(result, _SIZED_RESULTS):
        guards._sized(len(result))
    return result


def formatted(value: Any) -> Any:
    """The value of an f-string replacement field, refused when its text would pass the limit."""
    if not isinstance(value, str | int | float | bool) or isinstance(value, int) and value.bit_length() > 64:
        _text(value)
    return value


CALL_GUARDS: dict[str, Any] = {"_sbx_call_": guarded_call, "_sbx_fmt_": formatted}
