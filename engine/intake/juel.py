"""JUEL, the Unified Expression Language of Camunda 7, Activiti and Flowable (`${...}`, `#{...}`), turned
into a Python expression for the sandbox. The operators become calls of the EL functions the sandbox
offers (engine/bpmn/el.py: el_eq, el_lt, el_add, el_bool, ...), so values are coerced as EL 3.0 says
(chapter 1.23): "5" > 3 is true, approved == "true" holds for the boolean true, null is 0 in sums.

A recursive-descent parser over EL's precedence table (EL 3.0 section 1.17), so nothing inside string
literals is touched and every construct either translates or is refused with its reason."""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from engine.intake.tokens import TokenParser, lex

KEYWORD_PREFIX = "v_"
ALLOWED_CALLS = frozenset({"len", "is_empty", "truthy", "str", "int", "float", "abs", "min", "max", "now",
                           "working_days", "calendar_days", "days_between", "add_days", "to_date"})
METHODS = frozenset({"equals", "equalsIgnoreCase", "contains", "startsWith", "endsWith", "length", "size",
                     "isEmpty", "toUpperCase", "toLowerCase", "trim", "substring", "indexOf", "toString",
                     "intValue", "longValue", "doubleValue", "booleanValue", "containsKey", "get",
                     "prop", "numberValue", "stringValue", "boolValue", "value"})
_TOKEN = re.compile(r"""
    (?P<ws>\s+) | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*") |
    (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?) |
    (?P<name>[A-Za-z_$\u4e00-\u9fff][\w$\u4e00-\u9fff]*) |
    (?P<op>&&|\|\||==|!=|<=|>=|\+=|[-+*/%<>!?:()\[\].,=])
""", re.VERBOSE)
_WORDS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%",
          "and": "&&", "or": "||", "not": "!"}
_COMPARE = {"==": "el_eq", "!=": "el_ne", "<": "el_lt", ">": "el_gt", "<=": "el_le", ">=": "el_ge"}
_ARITH = {"+": "el_add", "-": "el_sub", "*": "el_mul", "/": "el_div", "%": "el_mod"}
_SERVICES = ("execution", "task")  # Camunda/Activiti's process objects: only getVariable is known


class JuelError(ValueError):
    """Why a JUEL expression cannot become a sandbox expression."""


@dataclass
class _Expr:
    code: str
    boolean: bool = False  # already a Python bool: no el_bool() needed around it


def keyword_alias(name: str) -> str:
    """Python keywords used as data names (e.g. `pass`) are read through an alias."""
    return KEYWORD_PREFIX + name if keyword.iskeyword(name) else name


def tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs; word operators are normalised to their symbols."""
    found: list[tuple[str, str]] = []
    for kind, value in lex(text, _TOKEN, JuelError):
        if kind == "name" and value in _WORDS:
            kind, value = "op", _WORDS[value]
        if kind == "op" and value == "=":  # XPath's equality (EL itself has no lone '=' in a condition)
            value = "=="
        found.append((kind, value))
    return found


def _string(literal: str) -> str:
    """An EL string literal as Python source (EL escapes only \\", \\' and \\\\)."""
    body = literal[1:-1]
    return repr(re.sub(r"\\([\"'\\])", r"\1", body))


class _Parser(TokenParser):
    """One pass over the tokens of one expression."""

    error = JuelError

    def parse(self) -> _Expr:
        if not self.toks:
            raise JuelError("the expression is empty")
        expr = self.ternary()
        if self.peek()[0] != "end":
            raise JuelError(f"unexpected '{self.peek()[1]}'")
        return expr

    def ternary(self) -> _Expr:
        cond = self.logical("||", self.conjunction)
        if not self.op("?"):
            return cond
        self.take("?")
        yes = self.ternary()
        self.take(":")
        no = self.ternary()
        return _Expr(f"({yes.code} if {as_bool(cond)} else {no.code})", yes.boolean and no.boolean)

    def conjunction(self) -> _Expr:
        return self.logical("&&", self.equality)

    def logical(self, op: str, operand: Callable[[], _Expr]) -> _Expr:
        left = operand()
        while self.op(op):
            self.take()
            right = operand()
            word = "or" if op == "||" else "and"
            left = _Expr(f"({as_bool(left)} {word} {as_bool(right)})", True)
        return left

    def equality(self) -> _Expr:
        left = self.relational()
        while self.op("==", "!="):
            op = self.take()[1]
            left = _Expr(f"{_COMPARE[op]}({left.code}, {self.relational().code})", True)
        return left

    def relational(self) -> _Expr:
        left = self.concat()
        while self.op("<", ">", "<=", ">="):
            op = self.take()[1]
            left = _Expr(f"{_COMPARE[op]}({left.code}, {self.concat().code})", True)
        return left

    def concat(self) -> _Expr:
        left = self.additive()
        while self.op("+="):
            self.take()
            left = _Expr(f"el_concat({left.code}, {self.additive().code})")
        return left

    def additive(self) -> _Expr:
        left = self.multiplicative()
        while self.op("+", "-"):
            op = self.take()[1]
            left = _Expr(f"{_ARITH[op]}({left.code}, {self.multiplicative().code})")
        return left

    def multiplicative(self) -> _Expr:
        left = self.unary()
        while self.op("*", "/", "%"):
            op = self.take()[1]
            left = _Expr(f"{_ARITH[op]}({left.code}, {self.unary().code})")
        return left

    def unary(self) -> _Expr:
        kind, value = self.peek()
        if kind == "op" and value == "-":
            self.take()
            return _Expr(f"el_neg({self.unary().code})")
        if kind == "op" and value == "!":
            self.take()
            return _Expr(f"(not {as_bool(self.unary())})", True)
        if kind == "name" and value == "empty":
            self.take()
            return _Expr(f"is_empty({self.unary().code})", True)
        return self.postfix()

    def postfix(self) -> _Expr:
        kind, value = self.peek()
        if kind == "name" and value in _SERVICES and self.peek(1)[1] == ".":
            return self.service_call()
        expr = self.primary()
        while self.op(".", "["):
            if self.take()[1] == "[":
                index = self.ternary()
                self.take("]")
                expr = _Expr(f"el_get({expr.code}, {index.code})")
                continue
            member = self.take()
            if member[0] != "name":
                raise JuelError(f"a property name was expected after '.', found '{member[1]}'")
            if self.op("("):
                expr = self.method(expr, member[1])
            else:
                expr = _Expr(f"el_get({expr.code}, {member[1]!r})")
        return expr

    def service_call(self) -> _Expr:
        """`execution.getVariable("x")` reads variable x; any other call needs the Java engine."""
        owner = self.take()[1]
        self.take(".")
        method = self.take()[1]
        args = self.arguments() if self.op("(") else []
        literal = re.fullmatch(r"'([^'\\]*)'", args[0].code) if len(args) == 1 else None
        if method == "getVariable" and literal and (literal.group(1) in self.names or literal.group(1).isidentifier()):
            return _Expr(self.variable(literal.group(1)))
        raise JuelError(f"'{owner}.{method}(...)' needs the Java engine; read the variable by its name instead")

    def method(self, target: _Expr, name: str) -> _Expr:
        if name not in METHODS:
            raise JuelError(f"method call '.{name}(...)' needs Java code that govflow does not run; "
                            "compute the value in a form field or script and test that variable")
        args = self.arguments()
        boolean = name in ("equals", "equalsIgnoreCase", "contains", "startsWith", "endsWith", "isEmpty",
                           "containsKey")
        joined = "".join(f", {a.code}" for a in args)
        return _Expr(f"el_call({target.code}, {name!r}{joined})", boolean)

    def arguments(self) -> list[_Expr]:
        return self.separated("(", ")", self.ternary)

    def primary(self) -> _Expr:
        kind, value = self.take()
        if kind == "num":
            return _Expr(value if re.fullmatch(r"\d+", value) else repr(float(value)))
        if kind == "str":
            return _Expr(_string(value))
        if kind == "op" and value == "(":
            inner = self.ternary()
            self.take(")")
            return _Expr(f"({inner.code})", inner.boolean)
        if kind != "name":
            raise JuelError(f"a value was expected, found '{value or 'the end'}'")
        if value in ("true", "false"):
            return _Expr(value.capitalize(), True)
        if value == "null":
            return _Expr("None")
        if self.op("("):
            if value not in ALLOWED_CALLS:
                raise JuelError(f"the function '{value}' is not available in govflow")
            args = self.arguments()
            return _Expr(f"{value}({', '.join(a.code for a in args)})")
        return _Expr(self.variable(self.dotted(value)))

    def dotted(self, name: str) -> str:
        """A renamed variable may carry dots (a form field id 'customer.name'): take the longest match."""
        best, steps = name, 0
        path, k = name, 0
        while self.peek(k)[1] == "." and self.peek(k + 1)[0] == "name":
            path += "." + self.peek(k + 1)[1]
            k += 2
            if path in self.names:
                best, steps = path, k
        self.i += steps
        return best

    def variable(self, name: str) -> str:
        mapped = self.names.get(name, name)
        if not mapped.isidentifier():
            raise JuelError(f"'{name}' is not a usable variable name")
        return keyword_alias(mapped)


def as_bool(expr: _Expr) -> str:
    return expr.code if expr.boolean else f"el_bool({expr.code})"


def to_python(body: str, boolean: bool, names: Mapping[str, str] | None = None) -> str:
    """The Python expression for a JUEL body (without `${` and `}`); `boolean` coerces the result to a
    yes/no answer as a condition needs."""
    expr = _Parser(tokens(body), names or {}).parse()
    return as_bool(expr) if boolean else expr.code
