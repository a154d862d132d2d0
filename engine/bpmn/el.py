"""The Unified Expression Language's operators with EL 3.0's coercions (chapter 1.23), as sandbox
functions: JUEL conditions from Camunda 7, Activiti and Flowable are translated into calls of these
(engine/intake/juel.py), so they give the answers those engines give. The rules follow JUEL, the EL
implementation those engines embed: equality and comparison coerce to Double when either side is a
floating number, to Long when either is an integer, then Boolean, then String; +, -, * also treat a
text with '.', 'e' or 'E' as a Double; null is 0 in arithmetic and false as a condition."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

_LONG = re.compile(r"[-+]?\d+")


class ELError(ValueError):
    """A value EL cannot coerce as the operator needs (EL raises an ELException there)."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _floating(value: Any) -> bool:
    return isinstance(value, float | Decimal)


def _floating_text(value: Any) -> bool:
    return _floating(value) or (isinstance(value, str) and any(c in value for c in ".eE"))


def to_long(value: Any) -> int:
    """EL 1.23.3 coerce to Long: null and "" are 0, numbers are truncated, text must be an integer."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ELError(f"cannot use the yes/no value {str(value).lower()} as a number")
    if _number(value):
        return int(value)
    if isinstance(value, str) and _LONG.fullmatch(value.strip()):
        return int(value.strip())
    raise ELError(f"cannot use {value!r} as a whole number")


def to_double(value: Any) -> float:
    """EL 1.23.3 coerce to Double: null and "" are 0, text must be a number."""
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        raise ELError(f"cannot use the yes/no value {str(value).lower()} as a number")
    if _number(value):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ELError(f"cannot use {value!r} as a number")


def el_bool(value: Any) -> bool:
    """EL 1.23.2 coerce to Boolean: null and "" are false, text is true only if it reads "true"."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    raise ELError(f"cannot use {value!r} as a yes/no value")


def to_text(value: Any) -> str:
    """EL 1.23.1 coerce to String: null is "", booleans are "true"/"false", Java's number texts."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    return str(value)


def _java_double(value: float) -> str:
    """Double.toString: 5.0, 1.0E7, 1.5E-4 (scientific from 10^7 up and below 10^-3)."""
    if math.isnan(value) or math.isinf(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    digits = Decimal(repr(value))
    exponent = digits.adjusted()
    mantissa = repr(float(digits.scaleb(-exponent)))
    return f"{mantissa}E{exponent}"


def _kind(a: Any, b: Any, booleans: bool) -> str:
    """Which type EL coerces both operands to (BigDecimal and BigInteger fold into double and long)."""
    if _floating(a) or _floating(b):
        return "double"
    if _number(a) or _number(b):
        return "long"
    if booleans and (isinstance(a, bool) or isinstance(b, bool)):
        return "boolean"
    if isinstance(a, str) or isinstance(b, str):
        return "string"
    return "object"


_COERCE: dict[str, Callable[[Any], Any]] = {"double": to_double, "long": to_long, "boolean": el_bool,
                                            "string": to_text}


def el_eq(a: Any, b: Any) -> bool:
    """EL 1.8.2 A == B."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    kind = _kind(a, b, booleans=True)
    if kind == "object":
        return bool(a == b)
    coerce = _COERCE[kind]
    return bool(coerce(a) == coerce(b))


def el_ne(a: Any, b: Any) -> bool:
    return not el_eq(a, b)


def _compare(a: Any, b: Any) -> int | None:
    """-1/0/1 by EL 1.8.1's rules, None when either side is null."""
    if a is None or b is None:
        return None
    kind = _kind(a, b, booleans=False)
    if kind == "object":
        try:
            return (a > b) - (a < b)
        except TypeError as exc:
            raise ELError(f"cannot compare {a!r} with {b!r}") from exc
    coerce = _COERCE[kind]
    x, y = coerce(a), coerce(b)
    return (x > y) - (x < y)


def el_lt(a: Any, b: Any) -> bool:
    order = _compare(a, b)
    return order is not None and order < 0


def el_gt(a: Any, b: Any) -> bool:
    order = _compare(a, b)
    return order is not None and order > 0


def el_le(a: Any, b: Any) -> bool:
    if a is b:
        return True
    order = _compare(a, b)
    return order is not None and order <= 0


def el_ge(a: Any, b: Any) -> bool:
    if a is b:
        return True
    order = _compare(a, b)
    return order is not None and order >= 0


def _arithmetic(a: Any, b: Any, op: Callable[[Any, Any], Any]) -> Any:
    """EL 1.7.1: both null is 0; a Double (or text with . e E) makes it Double; otherwise Long."""
    if a is None and b is None:
        return 0
    if _floating_text(a) or _floating_text(b):
        return op(to_double(a), to_double(b))
    return op(to_long(a), to_long(b))


def el_add(a: Any, b: Any) -> Any:
    return _arithmetic(a, b, lambda x, y: x + y)


def el_sub(a: Any, b: Any) -> Any:
    return _arithmetic(a, b, lambda x, y: x - y)


def el_mul(a: Any, b: Any) -> Any:
    return _arithmetic(a, b, lambda x, y: x * y)


def el_div(a: Any, b: Any) -> Any:
    """EL 1.7.2: always a Double (Java's: x/0 is infinity, 0/0 is NaN)."""
    if a is None and b is None:
        return 0
    x, y = to_double(a), to_double(b)
    if y == 0:
        return math.nan if x == 0 or math.isnan(x) else math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def el_mod(a: Any, b: Any) -> Any:
    """EL 1.7.3: Java's remainder, whose sign follows the dividend."""
    if a is None and b is None:
        return 0
    if _floating_text(a) or _floating_text(b):
        x, y = to_double(a), to_double(b)
        return math.nan if y == 0 else math.fmod(x, y)
    m, n = to_long(a), to_long(b)
    if n == 0:
        raise ELError("division by zero")
    return int(math.fmod(m, n))


def el_neg(a: Any) -> Any:
    """EL 1.9.1 unary minus."""
    if a is None:
        return 0
    if isinstance(a, str):
        return -to_double(a) if _floating_text(a) else -to_long(a)
    if _number(a):
        return -a
    raise ELError(f"cannot negate {a!r}")


def el_concat(a: Any, b: Any) -> str:
    """EL 3.0's string concatenation operator +=."""
    return to_text(a) + to_text(b)


def el_get(value: Any, key: Any) -> Any:
    """a.b and a[b]: a map's entry (null when missing), a list's item (null out of range), null of null."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(key)
    if isinstance(value, list | tuple):
        index = to_long(key)
        return value[index] if 0 <= index < len(value) else None
    raise ELError(f"cannot read '{key}' of {value!r}")


_STRING_METHODS: dict[str, Callable[..., Any]] = {
    "contains": lambda s, x: to_text(x) in s, "startsWith": lambda s, x: s.startswith(to_text(x)),
    "endsWith": lambda s, x: s.endswith(to_text(x)), "length": len, "isEmpty": lambda s: s == "",
    "toUpperCase": str.upper, "toLowerCase": str.lower, "trim": str.strip,
    "indexOf": lambda s, x: s.find(to_text(x)),
    "equalsIgnoreCase": lambda s, x: x is not None and s.lower() == to_text(x).lower(),
    "substring": lambda s, start, end=None: s[to_long(start):None if end is None else to_long(end)],
}
_ANY_METHODS: dict[str, Callable[..., Any]] = {
    "equals": lambda v, x: type(v) is type(x) and v == x,  # Java's equals: same class, same value
    "toString": to_text, "intValue": to_long, "longValue": to_long, "doubleValue": to_double,
    "booleanValue": el_bool, "numberValue": lambda v: v, "stringValue": lambda v: v,
    "boolValue": lambda v: v, "value": lambda v: v,
}
_COLLECTION_METHODS: dict[str, Callable[..., Any]] = {
    "size": len, "isEmpty": lambda c: len(c) == 0, "contains": lambda c, x: x in c,
    "containsKey": lambda c, x: isinstance(c, dict) and x in c, "get": el_get, "prop": el_get,
}


def el_call(value: Any, method: str, *args: Any) -> Any:
    """The Java methods expressions call on values (String.contains, List.size, Spin's prop ...)."""
    if value is None:
        raise ELError(f"cannot call .{method}() on null")
    table = _STRING_METHODS if isinstance(value, str) else \
        _COLLECTION_METHODS if isinstance(value, dict | list | tuple | set) else {}
    found = table.get(method) or _ANY_METHODS.get(method)
    if found is None:
        raise ELError(f"{type(value).__name__} values have no method .{method}()")
    try:
        return found(value, *args)
    except TypeError as exc:
        raise ELError(f".{method}() does not take {len(args)} argument(s)") from exc


def el_typed(value: Any, kind: str) -> Any:
    """A decision table input as its typeRef says (Camunda's DMN engine converts them too); null stays null."""
    if value is None:
        return None
    if kind == "integer":
        return to_long(value)
    if kind == "number":
        return value if _number(value) else to_double(value)
    if kind == "boolean":
        return el_bool(value)
    return to_text(value) if kind == "string" else value


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "el_bool": el_bool, "el_eq": el_eq, "el_ne": el_ne, "el_lt": el_lt, "el_gt": el_gt, "el_le": el_le,
    "el_ge": el_ge, "el_add": el_add, "el_sub": el_sub, "el_mul": el_mul, "el_div": el_div,
    "el_mod": el_mod, "el_neg": el_neg, "el_concat": el_concat, "el_get": el_get, "el_call": el_call,
    "el_typed": el_typed,
}
