"""Vendor expression languages -> what SpiffWorkflow runs: JUEL/FEEL/XPath expressions become Python
expressions for the sandbox, bare ISO 8601 timers become string literals, and timer text no translation
can rescue is named. Also the BPMN and vendor namespaces, and how a finding is located on the element a
designer clicks. Pure functions on text and elements: dialects.py and rewrites.py apply them to a tree."""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterator

from lxml import etree

from engine.core.problems import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
VENDOR_NAMESPACES = {
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "activiti": "http://activiti.org/bpmn",
    "flowable": "http://flowable.org/bpmn",
    "zeebe": "http://camunda.org/schema/zeebe/1.0",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
KEYWORD_PREFIX = "v_"
EXPRESSION_TAGS = ("conditionExpression", "completionCondition", "loopCondition")
TIMER_TAGS = ("timeDate", "timeDuration", "timeCycle")

_TOKEN = re.compile(r"""
    (?P<ws>\s+) | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*") | (?P<num>\d+(?:\.\d+)?) |
    (?P<name>[A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff]*) |
    (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!(),.\[\]?:=])
""", re.VERBOSE)
_WORD_OPS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%",
             "and": "and", "or": "or", "not": "not", "true": "True", "false": "False", "null": "None"}
_SPIN_VALUE = {"numberValue", "stringValue", "boolValue", "value"}
_ALLOWED_CALLS = {"len", "is_empty", "truthy", "str", "int", "float", "abs", "min", "max", "now"}
_ISO_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_CRON_FIELD = r"(?:[\d*?/,#LW-]+|[A-Za-z]{3}(?:[-,][A-Za-z]{3})*)"
_CRON = re.compile(rf"^(?=.*[\d*?]){_CRON_FIELD}(?:\s+{_CRON_FIELD}){{4,6}}$")
_XPATH_DATA = re.compile(r"bpmn:getDataObject\(\s*'([^']+)'\s*\)")


class UntranslatableExpression(ValueError):
    """An expression in a dialect govflow cannot turn into a safe Python expression."""

    def __init__(self, text: str, reason: str):
        super().__init__(f"cannot use expression '{text}': {reason}")
        self.text = text
        self.reason = reason


def keyword_alias(name: str) -> str:
    """Python keywords used as data names (e.g. `pass`) are read through an alias."""
    return KEYWORD_PREFIX + name if keyword.iskeyword(name) else name


def _tokens(text: str, original: str) -> Iterator[tuple[str, str]]:
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise UntranslatableExpression(original, f"unexpected character {text[pos]!r}")
        pos = match.end()
        if match.lastgroup != "ws":
            yield match.lastgroup or "", match.group()


def _unwrap(text: str) -> tuple[str, bool]:
    stripped = text.strip()
    found = re.fullmatch(r"[$#]\{(.*)\}", stripped, re.DOTALL)
    if found:
        if re.search(r"[$#]\{", found.group(1)):
            raise UntranslatableExpression(text, "several ${...} parts in one expression")
        return found.group(1).strip(), True
    if stripped.startswith("="):
        return stripped[1:].strip(), True
    return stripped, False


_WORD_OP_BETWEEN = r"[\w)\]'\"]\s+(eq|ne|lt|gt|le|ge|div|mod)\s+[\w('\"-]"
_FOREIGN_CALL = re.compile(r"\b[A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*\s*\(")  # DateTime.AddDays(


def _outside_strings(text: str) -> str:
    """The text with every string literal emptied, so markers inside strings are not seen."""
    return re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "''", text)


def _has_marker(text: str) -> bool:
    """JUEL/XPath is recognised only by what Python never writes: &&, ||, !x, word operators, true."""
    outside = _outside_strings(text)
    if re.search(r"&&|\|\||bpmn:getDataObject|[$#]\{|!(?!=)", outside):
        return True
    if re.search(r"\b(null|true|false)\b", outside) or re.search(r"\bempty\s+[A-Za-z_(]", outside):
        return True
    return bool(re.search(_WORD_OP_BETWEEN, outside))


def _check_foreign(original: str, text: str) -> None:
    """C#/Java static members such as DateTime.AddDays(...) look like Python but never run here."""
    found = _FOREIGN_CALL.search(_outside_strings(text))
    if found:
        raise UntranslatableExpression(
            original, f"'{found.group().rstrip('( ')}(...)' is C#/Java code, not an expression govflow runs; use an ISO 8601 "
                      "value or a variable holding the date")


def translate_expression(text: str, boolean: bool = True) -> str:
    """JUEL `${...}`/`#{...}`, simple FEEL `=...` and XPath getDataObject to Python; Python stays as is.
    With `boolean`, a lone variable is tested JUEL-style (the string "false" is false)."""
    body, wrapped = _unwrap(text)
    _check_foreign(text, body)
    if not wrapped and not _has_marker(body):
        _check_python(text, body)
        return body
    body = _XPATH_DATA.sub(lambda m: m.group(1), body)
    out: list[str] = []
    toks = list(_tokens(body, text))
    i = 0
    while i < len(toks):
        kind, value = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else ""
        if kind == "op":
            out.append({"&&": "and", "||": "or", "!": "not", "=": "=="}.get(value, value))
        elif kind == "name" and value == "empty":
            operand, i = _path(toks, i + 1, text)
            out.append(f"is_empty({operand})")
            continue
        elif kind == "name" and value in _WORD_OPS and (nxt != "(" or value in ("not", "and", "or")):
            out.append(_WORD_OPS[value])
        elif kind == "name":
            path, i = _path(toks, i, text)
            out.append(path)
            continue
        else:
            out.append(value)
        i += 1
    result = _join(out)
    if boolean:
        result = _truth_test(result)
    _check_python(text, result)
    return result


def _truth_test(result: str) -> str:
    """A lone variable (or `not` one) is tested JUEL-style, where the text "false" is false."""
    single = re.fullmatch(r"(not\s*)?\(?\s*([A-Za-z_][\w\[\]'\"]*)\s*\)?", result)
    if single is None or single.group(2) in ("True", "False", "None"):
        return result
    if result.count("(") != result.count(")"):
        return result
    return ("not " if single.group(1) else "") + f"truthy({single.group(2)})"


def _path(toks: list[tuple[str, str]], i: int, original: str) -> tuple[str, int]:
    """An identifier with .property, .size(), .equals(x) and Camunda Spin .prop("k").numberValue()."""
    kind, name = toks[i] if i < len(toks) else ("", "")
    if kind != "name":
        raise UntranslatableExpression(original, "a variable name was expected")
    if i + 1 < len(toks) and toks[i + 1][1] == "(" and name not in _ALLOWED_CALLS:
        raise UntranslatableExpression(original, f"the function '{name}' is not available in govflow")
    expr = keyword_alias(name)
    i += 1
    while i + 1 < len(toks) and toks[i][1] == ".":
        member = toks[i + 1][1]
        after = toks[i + 2][1] if i + 2 < len(toks) else ""
        if after != "(":
            expr, i = f"{expr}[{member!r}]", i + 2
            continue
        args_end = _closing(toks, i + 2, original)
        args = " ".join(v for _, v in toks[i + 3:args_end])
        if member == "size" and not args:
            expr = f"len({expr})"
        elif member == "equals":
            expr = f"({expr} == {args})"
        elif member == "prop" and args:
            expr = f"{expr}[{args}]"
        elif member in _SPIN_VALUE and not args:
            pass
        else:
            raise UntranslatableExpression(
                original, f"method call '.{member}(...)' needs Java code that govflow does not run; "
                          "compute the value in a form field or script and test that variable")
        i = args_end + 1
    return expr, i


def _closing(toks: list[tuple[str, str]], start: int, original: str) -> int:
    depth = 0
    for j in range(start, len(toks)):
        depth += {"(": 1, ")": -1}.get(toks[j][1], 0)
        if depth == 0:
            return j
    raise UntranslatableExpression(original, "unbalanced parentheses")


def _join(parts: list[str]) -> str:
    text = " ".join(parts)
    text = re.sub(r"\s*\.\s*", ".", text)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    text = re.sub(r"\s+,", ",", text)
    text = re.sub(r"(\w)\s+\(", r"\1(", text)
    text = re.sub(r"\bnot\(", "not (", text)
    return text.strip()


def _check_python(original: str, text: str) -> None:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        hint = " (use '==' to compare)" if re.search(r"[^=!<>]=[^=]", text) else ""
        if re.search(r"[A-Za-z]\s+[A-Za-z]", text) and not hint:
            hint = " (variable names cannot contain spaces)"
        raise UntranslatableExpression(original, f"not a valid expression{hint}: {exc.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and keyword.iskeyword(node.id):
            raise UntranslatableExpression(original, f"'{node.id}' is a reserved word")


def quote_timer(text: str) -> str | None:
    """Bare ISO 8601 durations, dates and cycles become Python string literals; else None."""
    value = text.strip()
    parts = value.split("/")
    if _ISO_DURATION.match(value) or _ISO_DATETIME.match(value):
        return repr(value)
    if parts[0].upper().startswith("R") and re.fullmatch(r"R\d*", parts[0].upper()) and len(parts) in (2, 3):
        if all(_ISO_DURATION.match(p) or _ISO_DATETIME.match(p) for p in parts[1:]):
            return repr(value)
    return None


_NOT_OWNERS = EXPRESSION_TAGS + TIMER_TAGS + ("formalExpression", "loopCardinality")


def _owner(el: etree._Element) -> etree._Element | None:
    """The element a designer clicks in the modeler: skip expressions and event definitions."""
    owner: etree._Element | None = el
    while owner is not None:
        local = etree.QName(owner).localname
        if owner.get("id") and local not in _NOT_OWNERS and not local.endswith("EventDefinition"):
            return owner
        owner = owner.getparent()
    return None


def timer_defect(text: str) -> tuple[str, str] | None:
    """(code, message) for timer text no translation can rescue (cron, '1w', C# calls); lint reports it."""
    value = text.strip()
    if _CRON.match(value) and not re.search(r"[$#]\{", value):
        return "cron-timer", (f"timer '{value}' is a Quartz/cron expression; enter an ISO 8601 date, duration "
                              "or cycle instead, e.g. R/P1D (every day) or R/PT1H (every hour)")
    if re.fullmatch(r"\d+\s*[a-zA-Z]+", value):
        return "invalid-timer", (f"timer '{value}' is not ISO 8601; write a duration such as P7D (7 days) "
                                 "or PT2H (2 hours)")
    if _FOREIGN_CALL.search(_outside_strings(value)):
        return "untranslatable-expression", (f"timer '{value}' is C#/Java code; enter an ISO 8601 value "
                                             "or the name of a variable holding the date")
    return None


def located(severity: str, code: str, message: str, filename: str, el: etree._Element) -> Problem:
    """A problem at the element a designer clicks (the task or event, not its expression)."""
    owner = _owner(el)
    return Problem(severity, code, message, filename, el.sourceline,
                   owner.get("id") if owner is not None else None)
