"""Vendor expression languages -> what SpiffWorkflow runs: JUEL/FEEL/XPath expressions become Python
expressions for the sandbox, bare ISO 8601 timers become string literals, and timer text no translation
can rescue is named. Also the BPMN and vendor namespaces, and how a finding is located on the element a
designer clicks. Pure functions on text and elements: dialects.py and rewrites.py apply them to a tree."""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Mapping

from lxml import etree

from engine.core.problems import Problem
from engine.intake import cron, feel, juel

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
VENDOR_NAMESPACES = {
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "activiti": "http://activiti.org/bpmn",
    "flowable": "http://flowable.org/bpmn",
    "zeebe": "http://camunda.org/schema/zeebe/1.0",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
KEYWORD_PREFIX = juel.KEYWORD_PREFIX
EXPRESSION_TAGS = ("conditionExpression", "completionCondition", "loopCondition", "condition")
TIMER_TAGS = ("timeDate", "timeDuration", "timeCycle")
FEEL_LANGUAGES = ("feel", "dmn")  # language URIs naming FEEL (DMN's expression language)

_ISO_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_XPATH_DATA = re.compile(r"bpmn:getDataObject\(\s*'([^']+)'\s*\)")
_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


class UntranslatableExpression(ValueError):
    """An expression in a dialect govflow cannot turn into a safe Python expression."""

    def __init__(self, text: str, reason: str):
        super().__init__(f"cannot use expression '{text}': {reason}")
        self.text = text
        self.reason = reason


keyword_alias = juel.keyword_alias


def _unwrap(text: str) -> tuple[str, str]:
    """(body, dialect): 'juel' for ${...}/#{...}, 'feel' for Camunda 8's =..., else 'plain'."""
    stripped = text.strip()
    found = re.fullmatch(r"[$#]\{(.*)\}", stripped, re.DOTALL)
    if found:
        if re.search(r"[$#]\{", found.group(1)):
            raise UntranslatableExpression(text, "several ${...} parts in one expression")
        return found.group(1).strip(), "juel"
    if stripped.startswith("="):
        return stripped[1:].strip(), "feel"
    return stripped, "plain"


_WORD_OP_BETWEEN = r"[\w)\]'\"]\s+(eq|ne|lt|gt|le|ge|div|mod)\s+[\w('\"-]"
_FOREIGN_CALL = re.compile(r"\b[A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*\s*\(")  # DateTime.AddDays(


def _outside_strings(text: str) -> str:
    """The text with every string literal emptied, so markers inside strings are not seen."""
    return _STRINGS.sub("''", text)


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


def translate_expression(text: str, boolean: bool = True, names: Mapping[str, str] | None = None,
                         language: str | None = None) -> str:
    """JUEL `${...}`/`#{...}` (with EL's coercions), FEEL (`=...`, or any text when `language` names
    FEEL) and XPath getDataObject to Python; Python stays as is. With `boolean` the result is a yes/no
    test. `names` maps variable names with spaces or dots (form fields, decision outputs) to the safe
    names their values are stored under."""
    known = dict(names or {})
    body, dialect = _unwrap(text)
    _check_foreign(text, body)
    if dialect == "plain" and language and any(k in language.lower() for k in FEEL_LANGUAGES):
        dialect = "feel"
    if dialect == "plain" and _has_marker(body):
        dialect = "juel"
    try:
        if dialect == "juel":
            result = juel.to_python(_XPATH_DATA.sub(lambda m: m.group(1), body), boolean, known)
        elif dialect == "feel":
            result = feel.to_python(body, known)
            result = _truth_test(result) if boolean else result
        else:
            result = _plain(text, body, known)
    except (juel.JuelError, feel.FeelError) as exc:
        reason = str(exc)
        if reason.startswith(_SYNTAX):
            reason = f"not a valid expression: {reason}"
        raise UntranslatableExpression(text, reason) from None
    _check_python(text, result)
    return result


_SYNTAX = ("expected", "a value was expected", "unexpected", "a property name", "a name was expected",
           "the expression is empty")


def _plain(original: str, body: str, names: Mapping[str, str]) -> str:
    """Python as written, with known multi-word names replaced; a FEEL-looking text (a single '='
    comparing) is read as FEEL when it is not Python."""
    renamed = _rename(body, names)
    try:
        ast.parse(renamed, mode="eval")
        return renamed
    except SyntaxError:
        if re.search(r"(?<![=!<>])=(?!=)", _outside_strings(body)) and '"' in body:
            return feel.to_python(body, names)  # FeelError says why, e.g. a name with spaces
    return renamed


def _rename(text: str, names: Mapping[str, str]) -> str:
    """Known names containing spaces or dots replaced by their safe names, outside string literals."""
    spaced = sorted((n for n in names if not n.isidentifier()), key=len, reverse=True)
    if not spaced:
        return text
    pattern = re.compile("|".join(rf"(?<![\w.]){re.escape(n)}(?![\w])" for n in spaced))
    pieces, last = [], 0
    for literal in _STRINGS.finditer(text):
        pieces.append(pattern.sub(lambda m: names[m.group()], text[last:literal.start()]))
        pieces.append(literal.group())
        last = literal.end()
    pieces.append(pattern.sub(lambda m: names[m.group()], text[last:]))
    return "".join(pieces)


def _truth_test(result: str) -> str:
    """A lone variable (or `not` one) is tested leniently, where the text "false" is false."""
    single = re.fullmatch(r"(not\s*)?\(?\s*([A-Za-z_][\w\[\]'\"]*)\s*\)?", result)
    if single is None or single.group(2) in ("True", "False", "None"):
        return result
    if result.count("(") != result.count(")"):
        return result
    return ("not " if single.group(1) else "") + f"truthy({single.group(2)})"


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


def names_read(python: str) -> list[str]:
    """Variables a translated expression reads (functions and keywords' aliases excluded), in order."""
    try:
        tree = ast.parse(python, mode="eval")
    except SyntaxError:
        return []
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    nodes = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in called),
                   key=lambda n: (n.lineno, n.col_offset))
    found = [n.id for n in nodes]
    return list(dict.fromkeys(found))


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


def timer_defect(text: str, kind: str | None = None) -> tuple[str, str] | None:
    """(code, message) for timer text no translation can rescue (a cron outside a cycle or one with no
    equivalent, '1w', C# calls); lint reports it. `kind` is timeDate, timeDuration or timeCycle."""
    value = text.strip()
    if cron.looks_like_cron(value):
        if kind != "timeCycle":
            return "cron-timer", (f"timer '{value}' is a cron expression, which repeats: make the timer a "
                                  "cycle (timeCycle), or enter a date or duration such as P7D")
        try:
            cron.to_fields(value)
        except cron.CronError as exc:
            return "cron-timer", f"timer '{value}' is a cron expression govflow cannot fire: {exc}"
        return None
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
