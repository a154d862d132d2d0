"""Run-time guards for sandboxed BPMN code: what it may touch, and how much work and memory it may use.

Every refusal raises SandboxViolation and is remembered for the rest of the run, so a script that
swallows it with try/except still fails when it ends (see `check`).
"""

from __future__ import annotations

import contextvars
import itertools
import operator
import os
import re
import resource
import time
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from datetime import time as clock_time
from typing import Any, NoReturn

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

MAX_STEPS = 100_000            # loop items + function calls per evaluation or script run
MAX_RANGE = 100_000            # numbers one range() may hold
MAX_ITEMS = 1_000_000          # characters/items one operation may produce (about 1 MB of text)
MAX_INT_BITS = 100_000         # bits one integer result may have (about 30,000 digits)
MAX_DATA_SIZE = 10_000_000     # characters/items the task data may hold once written out (shared parts counted each time)
MAX_DATA_DEPTH = 100           # nesting levels of task data
MAX_WIDTH = 10_000             # padding width in %-formatting, f-strings and strftime
MAX_MEMORY_GROWTH = 128 << 20  # bytes the process may grow during one run (a worker stays under 300 MB)
MAX_CPU_SECONDS = 2.0          # CPU time of the running thread (not the wall clock) during one run
CHECK_EVERY = 256              # loop steps between two memory/CPU checks
FIRST_CHECK = 16               # loop steps before the first check (short loops never pay for one)
_LARGE = 4_096                 # results at least this big trigger a memory check at once

FORBIDDEN_ATTRIBUTES = frozenset(INSPECT_ATTRIBUTES | {
    "format", "format_map", "translate", "maketrans", "mro", "func_globals", "gi_running", "cr_running",
})
_CLOCK_READERS = frozenset({"now", "today", "utcnow", "fromtimestamp", "utcfromtimestamp"})
_OPAQUE_TYPES = (types.ModuleType, types.FrameType, types.CodeType, types.TracebackType)
_SEQUENCES = (str, bytes, list, tuple)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_STRFTIME_WIDTH = re.compile(r"%[-_0^#]*(\d+)")


class SandboxViolation(Exception):
    """Restricted code tried something the sandbox does not allow."""


@dataclass(slots=True)
class _Run:
    """Budget of one evaluation or script run."""

    steps: int = MAX_STEPS
    memory_base: int | None = None
    cpu_base: float = 0.0
    refusal: str | None = None


_current: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("govflow_sandbox_run", default=None)


def begin() -> tuple[_Run, contextvars.Token[_Run | None]]:
    """Open a fresh budget for one run; contextvars keep threads and nested runs apart."""
    run = _Run(cpu_base=time.thread_time())
    return run, _current.set(run)


def current() -> _Run | None:
    return _current.get()


def check_cpu(run: _Run) -> None:
    """Refuse once this thread spent too much CPU since the run began (checked at every call)."""
    if time.thread_time() - run.cpu_base > MAX_CPU_SECONDS:
        refuse(f"脚本运行超过 {MAX_CPU_SECONDS:g} 秒 CPU 时间 / "
               f"the code ran for more than {MAX_CPU_SECONDS:g} seconds of CPU time")


def finish(token: contextvars.Token[_Run | None]) -> None:
    """Close the run (always, also when the code failed)."""
    _current.reset(token)


def check(run: _Run) -> None:
    """After code ended normally: re-raise a refusal it caught and ignored."""
    if run.refusal is not None:
        raise SandboxViolation(run.refusal)


def refuse(message: str) -> NoReturn:
    """Raise and remember a refusal for the current run."""
    run = _current.get()
    if run is not None and run.refusal is None:
        run.refusal = message
    raise SandboxViolation(message)


_statm: list[int] = []  # [pid, fd]: reopened after fork, an fd on /proc/self follows its opener


def _rss() -> int:
    """Resident memory of the process (peak resident size where /proc is missing)."""
    try:
        if not _statm or _statm[0] != os.getpid():
            _statm[:] = [os.getpid(), os.open("/proc/self/statm", os.O_RDONLY)]
        return int(os.pread(_statm[1], 128, 0).split()[1]) * _PAGE
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _check_limits(run: _Run) -> None:
    """Refuse once the process grew, or this thread spent CPU, too much since the run's first check."""
    used, cpu = _rss(), time.thread_time()
    if run.memory_base is None:
        run.memory_base = used
    elif used - run.memory_base > MAX_MEMORY_GROWTH:
        refuse(f"脚本占用内存超过 {MAX_MEMORY_GROWTH >> 20} MB / "
               f"the code used more than {MAX_MEMORY_GROWTH >> 20} MB of memory")
    elif cpu - run.cpu_base > MAX_CPU_SECONDS:
        refuse(f"脚本运行超过 {MAX_CPU_SECONDS:g} 秒 CPU 时间 / "
               f"the code ran for more than {MAX_CPU_SECONDS:g} seconds of CPU time")


def spend(count: int = 1) -> None:
    """Charge loop items or calls to the run's budget; loops are where unbounded work hides."""
    run = _current.get()
    if run is None:
        return
    if run.refusal is not None:
        raise SandboxViolation(run.refusal)
    run.steps -= count
    if run.steps < 0:
        refuse(f"脚本的循环或调用超过 {MAX_STEPS} 步，请简化 / "
               f"the code took more than {MAX_STEPS} loop steps or calls; simplify it")
    if run.steps % CHECK_EVERY == 0 or run.steps == MAX_STEPS - FIRST_CHECK:
        _check_limits(run)


def tick() -> bool:
    """Injected at the start of every def/lambda body: recursion is looping too."""
    spend()
    return False


def _sized(count: int, what: str = "result") -> None:
    """Refuse a result larger than MAX_ITEMS; check memory for large ones."""
    if count > MAX_ITEMS:
        refuse(f"结果将超过 {MAX_ITEMS} 个字符或元素 / the {what} would hold more than {MAX_ITEMS} characters or items")
    if count >= _LARGE:
        run = _current.get()
        if run is not None:
            _check_limits(run)


def _int_bits(value: int) -> None:
    if value > MAX_INT_BITS:
        refuse(f"数字将超过 {MAX_INT_BITS} 位（二进制） / the number would have more than {MAX_INT_BITS} bits")


_CONTAINERS = (list, tuple, dict, set, frozenset)


def check_data_size(values: Iterable[Any]) -> None:
    """Refuse results whose written-out size explodes: [[big] * n] * n is cheap in memory (shared
    references) but the serializer would expand it. Shared objects are sized once (memo by id)."""
    memo: dict[int, int] = {}
    total = sum(_written_size(value, memo, 0) for value in values)
    if total > MAX_DATA_SIZE:
        refuse(f"结果数据写出后将超过 {MAX_DATA_SIZE} 个字符或元素 / "
               f"the resulting data would be larger than {MAX_DATA_SIZE} characters or items written out")


def _written_size(value: Any, memo: dict[int, int], depth: int) -> int:
    if isinstance(value, str | bytes):
        return len(value)
    if not isinstance(value, _CONTAINERS):
        return 1
    known = memo.get(id(value))
    if known is not None:
        if known < 0:
            refuse("结果数据引用了自身（循环），无法保存 / the resulting data contains itself (a cycle) and cannot be stored")
        return known
    if depth > MAX_DATA_DEPTH:
        refuse(f"结果数据嵌套超过 {MAX_DATA_DEPTH} 层 / "
               f"the resulting data is nested more than {MAX_DATA_DEPTH} levels deep")
    memo[id(value)] = -1
    total = 1
    for item in itertools.chain(value.keys(), value.values()) if isinstance(value, dict) else value:
        total += _written_size(item, memo, depth + 1)
        if total > MAX_DATA_SIZE:
            refuse(f"结果数据写出后将超过 {MAX_DATA_SIZE} 个字符或元素 / "
                   f"the resulting data would be larger than {MAX_DATA_SIZE} characters or items written out")
    memo[id(value)] = total
    return total


# --- operators (the policy routes *, +, **, <<, % and augmented assignment here) ---------------------

def mul(left: Any, right: Any) -> Any:
    """Multiplication that refuses huge numbers, strings and lists."""
    if isinstance(left, int) and isinstance(right, int):
        _int_bits(left.bit_length() + right.bit_length())
    elif isinstance(left, _SEQUENCES) and isinstance(right, int):
        _sized(len(left) * max(right, 0))
    elif isinstance(right, _SEQUENCES) and isinstance(left, int):
        _sized(len(right) * max(left, 0))
    return left * right


def add(left: Any, right: Any) -> Any:
    """Addition that refuses to grow strings or lists past the size limit."""
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        _sized(len(left) + len(right))
    return left + right


def power(base: Any, exponent: Any, modulo: Any = None) -> Any:
    """** and pow() with a bounded result size (three-argument pow stays cheap)."""
    if modulo is not None:
        return pow(base, exponent, modulo)
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        _int_bits(base.bit_length() * exponent)
    return base ** exponent


def lshift(left: Any, right: Any) -> Any:
    """<< is a power of two in disguise."""
    if isinstance(left, int) and isinstance(right, int) and right > 0 and left:
        _int_bits(left.bit_length() + right)
    return left << right


def _check_widths(template: str | bytes, pattern: re.Pattern[str]) -> None:
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    for match in pattern.finditer(text):
        for width in match.groups():
            if width == "*" or (width is not None and int(width) > MAX_WIDTH):
                refuse(f"格式宽度不能超过 {MAX_WIDTH}（也不能用 * 计算） / "
                       f"formatting widths above {MAX_WIDTH} (or computed with *) are not allowed")


def mod(left: Any, right: Any) -> Any:
    """% formatting with bounded padding widths and a bounded result."""
    if isinstance(left, str | bytes):
        _check_widths(left, _PERCENT_SPEC)
        _sized(len(left) + text_size(right, MAX_ITEMS))
    return left % right


def text_size(value: Any, limit: int, memo: dict[int, int] | None = None, depth: int = 0) -> int:
    """At least how many characters str()/repr() of value would produce, counted up to `limit`: the
    text of [['a' * 10**6] * 10**4] would be 10 GB although the list itself is small."""
    if isinstance(value, str | bytes):
        return len(value) * (1 if depth == 0 else 4) + 2 * depth
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return value.bit_length() * 3 // 10 + 2
    if not isinstance(value, _CONTAINERS):
        return 40
    memo = {} if memo is None else memo
    if id(value) in memo:
        return memo[id(value)]
    memo[id(value)] = 5  # a cycle prints as [...]
    total = 2
    for item in itertools.chain(value.keys(), value.values()) if isinstance(value, dict) else value:
        total += text_size(item, limit, memo, depth + 1) + 2
        if total > limit:
            break
    memo[id(value)] = total
    return total


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": add, "-=": operator.sub, "*=": mul, "/=": operator.truediv, "//=": operator.floordiv,
    "%=": mod, "**=": power, "<<=": lshift, ">>=": operator.rshift, "&=": operator.and_,
    "|=": operator.or_, "^=": operator.xor,
}


def inplace_var(op: str, left: Any, right: Any) -> Any:
    """x += y and friends, through the same guards as the plain operators."""
    function = _INPLACE.get(op)
    if function is None:
        refuse(f"不允许使用运算符 {op} / the operator {op} is not allowed")
    return function(left, right)


# --- builtins with limits -----------------------------------------------------------------------------

def bounded_range(*args: int) -> range:
    """range() holding at most MAX_RANGE numbers."""
    result = range(*args)
    if len(result) > MAX_RANGE:
        refuse(f"range() 最多 {MAX_RANGE} 个数 / range() may hold at most {MAX_RANGE} numbers")
    return result


def numeric_sum(iterable: Iterable[Any], start: Any = 0) -> Any:
    """sum() of numbers; adding up lists or strings is the quadratic way to build huge ones."""
    if isinstance(start, _SEQUENCES):
        refuse("sum() 只能对数字求和；拼接列表请用 for 循环 / sum() adds numbers only; build lists with a for loop")
    return sum(iterable, start)


# --- attribute, item, iteration and write guards ------------------------------------------------------

def _padding(owner: Any, method: Callable[..., Any], width: Any = 0, *rest: Any) -> Any:
    if isinstance(width, int):
        _sized(width)
    return method(width, *rest)


def _expandtabs(owner: Any, method: Callable[..., Any], tabsize: int = 8) -> Any:
    _sized(len(owner) * max(int(tabsize), 1))
    return method(tabsize)


def _replace(owner: Any, method: Callable[..., Any], old: Any, new: Any, count: int = -1) -> Any:
    hits = owner.count(old) if old else len(owner) + 1
    if count >= 0:
        hits = min(hits, count)
    _sized(len(owner) + hits * max(len(new) - len(old), 0))
    return method(old, new, count)


def _join(owner: Any, method: Callable[..., Any], iterable: Iterable[Any]) -> Any:
    parts = list(guarded_getiter(iterable))
    size = sum(len(p) for p in parts if isinstance(p, str | bytes))
    _sized(size + len(owner) * max(len(parts) - 1, 0))
    return method(parts)


def _extend(owner: Any, method: Callable[..., Any], iterable: Iterable[Any]) -> None:
    items = list(guarded_getiter(iterable))
    _sized(len(owner) + len(items))
    method(items)


def _strftime(owner: Any, method: Callable[..., Any], fmt: str) -> Any:
    _check_widths(fmt, _STRFTIME_WIDTH)
    return method(fmt)


_SIZED_METHODS: dict[str, tuple[tuple[type, ...], Callable[..., Any]]] = {
    "ljust": ((str, bytes), _padding), "rjust": ((str, bytes), _padding),
    "center": ((str, bytes), _padding), "zfill": ((str, bytes), _padding),
    "expandtabs": ((str, bytes), _expandtabs), "replace": ((str, bytes), _replace),
    "join": ((str, bytes), _join), "extend": ((list,), _extend), "strftime": ((date, clock_time), _strftime),
}


def _bind(check: Callable[..., Any], owner: Any, method: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(*args: Any) -> Any:
        return check(owner, method, *args)
    return guarded


_MISSING = object()


def guarded_getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """obj.name without private names, frames, modules, string formatting or clock reads."""
    if not isinstance(name, str) or name.startswith("_") or name in FORBIDDEN_ATTRIBUTES:
        refuse(f"不允许访问属性“{name}” / access to the attribute '{name}' is not allowed")
    if name in _CLOCK_READERS and isinstance(obj, date | type):
        refuse(f"“{name}”读取系统时钟，请改用引擎提供的 now() / "
               f"'{name}' reads the wall clock; use now(), which the engine provides")
    try:
        value = safer_getattr(obj, name, _MISSING)
    except NotImplementedError as exc:  # RestrictedPython's own refusals
        refuse(str(exc))
    if value is _MISSING:
        if default is not _MISSING:
            return default
        raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{name}'")
    if isinstance(value, _OPAQUE_TYPES):
        refuse(f"属性“{name}”通向沙箱之外 / the attribute '{name}' leads outside the sandbox")
    sized = _SIZED_METHODS.get(name)
    if sized is not None and isinstance(obj, sized[0]) and callable(value):
        return _bind(sized[1], obj, value)
    return value


def guarded_getitem(obj: Any, index: Any) -> Any:
    """obj[index]; large slice copies count against memory."""
    value = obj[index]
    if isinstance(index, slice) and isinstance(value, list | tuple) and len(value) >= _LARGE:
        _sized(len(value))
    return value


def guarded_getiter(obj: Iterable[Any]) -> Iterator[Any]:
    """Iteration that charges every item to the run's budget."""
    for item in obj:
        spend()
        yield item


class _ListWriter:
    """What `_write_` hands out for a list: item and slice assignment with a size check."""

    __slots__ = ("target",)

    def __init__(self, target: list[Any]) -> None:
        self.target = target

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, slice):
            value = list(guarded_getiter(value))
            _sized(len(self.target) + len(value))
        self.target[key] = value

    def __delitem__(self, key: Any) -> None:
        del self.target[key]


def write_guard(obj: Any) -> Any:
    """Scripts may change the dicts, sets and lists they hold, never attributes of other objects."""
    if isinstance(obj, list):
        return _ListWriter(obj)
    if isinstance(obj, dict | set):
        return obj
    refuse(f"不允许修改 {type(obj).__name__} 对象 / changing a {type(obj).__name__} object is not allowed")


def apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """f(*args, **kwargs) calls; RestrictedPython routes them here."""
    return function(*args, **kwargs)


GUARD_NAMES: dict[str, Any] = {
    "_apply_": apply, "_getattr_": guarded_getattr, "_getitem_": guarded_getitem, "_getiter_": guarded_getiter,
    "_write_": write_guard, "_inplacevar_": inplace_var,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
    "_sbx_mul_": mul, "_sbx_add_": add, "_sbx_pow_": power, "_sbx_lshift_": lshift, "_sbx_mod_": mod,
    "_sbx_tick_": tick,
}
