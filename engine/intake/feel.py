"""FEEL (DMN's Friendly Enough Expression Language, also Camunda 8's `=...` conditions) turned into
Python for the sandbox: the expressions modelers write in conditions and decision tables, and the
unary tests of decision-table cells ("a","b" / [1..5] / >= 10 / not("x") / -).

Names may contain spaces in FEEL (`Vacation Approval = "Approved"`); a name the batch knows (a form
field, a decision output, a data object) is read under its safe variable name, so multi-word names are
matched against `names` longest first. A unary test becomes a Python expression over `?`, the
placeholder SpiffWorkflow's decision engine fills with the input's value."""

from __future__ import annotations

import re
from collections.abc import Mapping

from engine.intake.juel import keyword_alias
from engine.intake.tokens import TokenParser, lex

_TOKEN = re.compile(r"""
    (?P<ws>\s+) | (?P<str>"(?:[^"\\]|\\.)*") | (?P<num>\d+(?:\.\d+)?|\.\d+) |
    (?P<name>[A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff]*) |
    (?P<op>\.\.|!=|<=|>=|\*\*|[-+*/=<>(),.\[\]{}:])
""", re.VERBOSE)
_FUNCTIONS = {"not": "not", "string length": "len", "count": "len", "sum": "sum", "min": "min",
              "max": "max", "abs": "abs", "string": "str", "number": "float", "date": "", "date and time": "",
              "time": ""}
_METHODS = {"upper case": "toUpperCase", "lower case": "toLowerCase", "contains": "contains",
            "starts with": "startsWith", "ends with": "endsWith"}  # el_call's Java names
_WORD_OPERATORS = ("and", "or", "between", "in", "then", "else", "instance")
_COMPARE = {"=": "==", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}


class FeelError(ValueError):
    """Why a FEEL text cannot become a sandbox expression."""


def tokens(text: str) -> list[tuple[str, str]]:
    return lex(text, _TOKEN, FeelError)


def _string(literal: str) -> str:
    return repr(literal[1:-1].encode("utf-8").decode("unicode_escape") if "\\u" in literal
                else re.sub(r'\\(["\\])', r"\1", literal[1:-1]))


class _Parser(TokenParser):
    """FEEL's expression grammar, the part modelers use in conditions and tables."""

    error = FeelError

    def __init__(self, toks: list[tuple[str, str]], names: Mapping[str, str]):
        super().__init__(toks, names)
        self.endpoint = False  # inside an interval, ']' and '[' close it instead of indexing
        self.phrases = sorted((n for n in [*names, *_FUNCTIONS, *_METHODS] if " " in n), key=lambda n: -n.count(" "))

    def word(self, *values: str) -> bool:
        return self.peek()[0] == "name" and self.peek()[1] in values

    def done(self) -> bool:
        return self.peek()[0] == "end"

    def expression(self) -> str:
        if self.word("if"):
            self.take()
            cond = self.expression()
            self._keyword("then")
            yes = self.expression()
            self._keyword("else")
            return f"({yes} if {cond} else {self.expression()})"
        return self.disjunction()

    def _keyword(self, word: str) -> None:
        if not self.word(word):
            raise FeelError(f"expected '{word}'")
        self.take()

    def disjunction(self) -> str:
        left = self.conjunction()
        while self.word("or"):
            self.take()
            left = f"({left} or {self.conjunction()})"
        return left

    def conjunction(self) -> str:
        left = self.comparison()
        while self.word("and"):
            self.take()
            left = f"({left} and {self.comparison()})"
        return left

    def comparison(self) -> str:
        left = self.additive()
        if self.op(*_COMPARE):
            op = _COMPARE[self.take()[1]]
            return f"{left} {op} {self.additive()}"
        if self.word("between"):
            self.take()
            low = self.additive()
            self._keyword("and")
            return f"({low} <= {left} <= {self.additive()})"
        if self.word("in"):
            self.take()
            return self.membership(left)
        return left

    def membership(self, left: str) -> str:
        """`x in [1..5]`, `x in ("a", "b")`, `x in > 3`: FEEL's unary tests applied to x."""
        if self.op("(") and not self._is_range():
            self.take("(")
            tests = self.test_list(left)
            self.take(")")
            return tests
        return self.test(left)

    def additive(self) -> str:
        left = self.multiplicative()
        while self.op("+", "-"):
            op = self.take()[1]
            left = f"{left} {op} {self.multiplicative()}"
        return left

    def multiplicative(self) -> str:
        left = self.unary()
        while self.op("*", "/", "**"):
            op = self.take()[1]
            left = f"{left} {op} {self.unary()}"
        return left

    def unary(self) -> str:
        if self.op("-"):
            self.take()
            return f"-{self.unary()}"
        return self.postfix()

    def postfix(self) -> str:
        expr = self.primary()
        while self.op(".") or (self.op("[") and not self.endpoint):
            if self.take()[1] == "[":
                index = self.expression()
                self.take("]")
                one_based = f"{int(index) - 1}" if re.fullmatch(r"\d+", index) else f"el_sub({index}, 1)"
                expr = f"el_get({expr}, {one_based})"  # FEEL counts list items from 1
                continue
            member = self.take()
            if member[0] != "name":
                raise FeelError(f"a name was expected after '.', found '{member[1]}'")
            expr = f"el_get({expr}, {member[1]!r})"
        return expr

    def primary(self) -> str:
        kind, value = self.peek()
        if kind == "num":
            self.take()
            return value
        if kind == "str":
            self.take()
            return _string(value)
        if kind == "op" and value == "(":
            self.take()
            inner = self.expression()
            self.take(")")
            return f"({inner})"
        if kind == "op" and value == "[":
            return self.list_literal()
        if kind != "name":
            raise FeelError(f"a value was expected, found '{value or 'the end'}'")
        return self.name_or_call()

    def list_literal(self) -> str:
        return f"[{', '.join(self.separated('[', ']', self.expression))}]"

    def name_or_call(self) -> str:
        name = self.phrase()
        if name in ("true", "false"):
            return name.capitalize()
        if name == "null":
            return "None"
        if self.op("("):
            return self.call(name)
        mapped = self.names.get(name, name)
        if self.peek()[0] == "name" and self.peek()[1] not in _WORD_OPERATORS:
            raise FeelError(f"'{name} {self.peek()[1]}' is not a known variable (variable names cannot contain "
                            "spaces unless a form field, decision output or data object is named so)")
        if not mapped.isidentifier():
            raise FeelError(f"'{name}' is not a known variable (variable names cannot contain spaces "
                            "unless a form field, decision output or data object is named so)")
        return keyword_alias(mapped)

    def phrase(self) -> str:
        """The longest known multi-word name starting here, else one word."""
        for phrase in self.phrases:
            words = phrase.split(" ")
            if all(self.peek(k) == ("name", w) for k, w in enumerate(words)):
                self.i += len(words)
                return phrase
        return self.take()[1]

    def call(self, name: str) -> str:
        if name not in _FUNCTIONS and name not in _METHODS:
            raise FeelError(f"the FEEL function '{name}' is not available in govflow")
        args = self.separated("(", ")", self.expression)
        if name in _METHODS:
            if not args:
                raise FeelError(f"'{name}' needs a value to work on")
            rest = "".join(f", {a}" for a in args[1:])
            return f"el_call({args[0]}, {_METHODS[name]!r}{rest})"
        target = _FUNCTIONS[name]
        if name == "not":
            return f"(not {args[0]})" if len(args) == 1 else f"(not ({' or '.join(args)}))"
        if target == "":  # date("2026-01-31") is the ISO text govflow keeps dates as
            return args[0] if args else "None"
        return f"{target}({', '.join(args)})"

    # --- unary tests ---------------------------------------------------------------------------------
    def _is_range(self) -> bool:
        """Whether the bracket here opens an interval ([1..5], ]1..5[, (1..5)) rather than a list."""
        depth = 1  # the opener itself may be ']' (an open interval such as ]1..5[)
        for k in range(self.i + 1, len(self.toks)):
            kind, value = self.toks[k]
            if kind == "op" and value in ("(", "["):
                depth += 1
            elif kind == "op" and value in (")", "]", "[") and depth == 1:
                return False
            elif kind == "op" and value in (")", "]"):
                depth -= 1
            elif value == ".." and depth == 1:
                return True
        return False

    def test_list(self, subject: str) -> str:
        tests = [self.test(subject)]
        while self.op(","):
            self.take()
            tests.append(self.test(subject))
        return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"

    def test(self, subject: str) -> str:
        """One unary test against `subject`."""
        if self.op("-") and self.peek(1)[0] == "end":
            self.take()
            return "True"
        if self.word("not") and self.peek(1)[1] == "(":
            self.take()
            self.take("(")
            inner = self.test_list(subject)
            self.take(")")
            return f"(not {inner})"
        if self.op("<", ">", "<=", ">=", "=", "!="):
            op = _COMPARE[self.take()[1]]
            return f"{subject} {op} {self.additive()}"
        if self.op("[", "]", "(") and self._is_range():
            return self.interval(subject)
        value = self.expression()
        if value == "None":
            return f"{subject} is None"
        if value.startswith("[") and value.endswith("]"):
            return f"{subject} in {value}"  # a list value tests membership
        return f"{subject} == {value}"

    def interval(self, subject: str) -> str:
        opening = self.take()[1]
        self.endpoint = True
        low = self.additive()
        self.take("..")
        high = self.additive()
        self.endpoint = False
        closing = self.take()[1]
        if closing not in ("]", "[", ")"):
            raise FeelError(f"an interval ends with ']', '[' or ')', found '{closing}'")
        left = "<=" if opening == "[" else "<"
        right = "<=" if closing == "]" else "<"
        return f"({low} {left} {subject} {right} {high})"


def to_python(text: str, names: Mapping[str, str] | None = None) -> str:
    """A FEEL expression (without its leading '=') as a Python expression."""
    parser = _Parser(tokens(text), names or {})
    if parser.done():
        raise FeelError("the expression is empty")
    result = parser.expression()
    if not parser.done():
        raise FeelError(f"unexpected '{parser.peek()[1]}'")
    return result


def unary_tests(text: str, names: Mapping[str, str] | None = None) -> str | None:
    """A decision-table input cell as a Python test of `?`; None for '-' or an empty cell (any value)."""
    stripped = (text or "").strip()
    if stripped in ("", "-"):
        return None
    parser = _Parser(tokens(stripped), names or {})
    result = parser.test_list("?")
    if not parser.done():
        raise FeelError(f"unexpected '{parser.peek()[1]}'")
    return result
