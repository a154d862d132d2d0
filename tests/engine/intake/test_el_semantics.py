"""JUEL conditions answer as Camunda 7, Activiti and Flowable answer them.

The table is EL 3.0's operator and coercion rules (chapters 1.7-1.10 and 1.23) as JUEL, the EL those
engines embed, applies them; the comments name the rule. Each row is translated by intake and evaluated
in the real sandbox, so the row tests translation and the EL functions together."""

from __future__ import annotations

import math

import pytest

from engine.bpmn.el import ELError
from engine.bpmn.sandbox import make_script_engine
from engine.intake.expressions import UntranslatableExpression, translate_expression

ERROR = "error"  # EL raises an ELException: the step fails with a message instead of guessing

TABLE = [
    # --- 1.8.2 equality: Boolean beside anything coerces both to Boolean -------------------------
    ('${approved == "true"}', {"approved": True}, True),
    ('${approved == "false"}', {"approved": True}, False),
    ("${approved == true}", {"approved": "true"}, True),
    ("${approved == true}", {"approved": "TRUE"}, True),   # Boolean.valueOf ignores case
    ("${approved == true}", {"approved": "yes"}, False),   # ... and only "true" is true
    ("${approved eq false}", {"approved": None}, False),   # null equals only null
    ("${approved == null}", {"approved": None}, True),
    ('${x == ""}', {"x": None}, False),
    # --- Long beside a text coerces the text to Long ------------------------------------------------
    ('${"5" == 5}', {}, True),
    ('${days == "3"}', {"days": 3}, True),
    ('${"5.0" == 5}', {}, ERROR),                          # Long.valueOf("5.0") fails
    ('${"abc" == 5}', {}, ERROR),
    ("${5 == 5.0}", {}, True),                             # a Double makes both Double
    ('${"5.0" == 5.0}', {}, True),
    ('${status == "open"}', {"status": "open"}, True),
    ("${a == b}", {"a": [1, 2], "b": [1, 2]}, True),       # otherwise A.equals(B)
    # --- 1.8.1 relational: number beside text coerces the text --------------------------------------
    ('${"5" > 3}', {}, True),
    ('${days >= "3"}', {"days": 5}, True),
    ('${days >= "3"}', {"days": 2}, False),
    ('${"10" > "9"}', {}, False),                          # two texts compare as text
    ('${"b" gt "a"}', {}, True),
    ("${amount > 1000}", {"amount": None}, False),         # null is never greater or smaller
    ("${amount le 1000}", {"amount": 999.5}, True),
    ('${price < "12.5"}', {"price": 12}, ERROR),           # Long beside "12.5": Long.valueOf fails
    ('${price < "12.5"}', {"price": 12.0}, True),          # Double beside it: Double.valueOf
    ('${"2026-01-31" lt "2026-02-01"}', {}, True),
    # --- 1.7 arithmetic: null is 0, a text with . e E makes Double ----------------------------------
    ('${1 + "2"}', {}, 3),
    ('${1 + "2.5"}', {}, 3.5),
    ("${a + b}", {"a": None, "b": None}, 0),
    ("${a + 1}", {"a": None}, 1),
    ('${"a" + 1}', {}, ERROR),                             # + is never concatenation in EL
    ("${10 / 4}", {}, 2.5),                                # division is always Double
    ("${10 div 5}", {}, 2.0),
    ("${10 % 3}", {}, 1),
    ("${-7 mod 3}", {}, -1),                               # Java's remainder keeps the dividend's sign
    ("${1 / 0}", {}, math.inf),
    ("${10 % 0}", {}, ERROR),
    ('${-"3"}', {}, -3),
    ('${"a" += 1}', {}, "a1"),                             # EL 3.0 string concatenation
    ("${total * 2 > 100}", {"total": "60"}, True),
    # --- 1.9/1.10 logical, empty, conditional ---------------------------------------------------------
    ('${approved && "true"}', {"approved": True}, True),
    ("${approved and not rejected}", {"approved": "true", "rejected": "false"}, True),
    ("${!approved}", {"approved": ""}, True),             # "" coerces to false
    ("${a || b}", {"a": None, "b": "TRUE"}, True),
    ("${approved ? 1 : 0}", {"approved": 1}, ERROR),       # a number is no Boolean in EL
    ("${empty list}", {"list": []}, True),
    ('${empty ""}', {}, True),
    ("${empty x}", {"x": None}, True),
    ("${not empty x}", {"x": {"a": 1}}, True),
    ("${empty 0}", {}, False),
    ('${level == "A" ? 100 : 50}', {"level": "A"}, 100),
    ('${days > 3 ? "long" : "short"}', {"days": "2"}, "short"),
    # --- properties, indexes, method calls ------------------------------------------------------------
    ("${customer.name}", {"customer": {"name": "Wang"}}, "Wang"),
    ("${customer.age > 18}", {"customer": {"name": "Wang"}}, False),   # a missing entry is null
    ("${items[1]}", {"items": ["a", "b"]}, "b"),
    ("${items[5] == null}", {"items": ["a"]}, True),
    ('${name.equals("Wang")}', {"name": "Wang"}, True),
    ('${count.equals("3")}', {"count": 3}, False),         # Java's equals: same class only
    ('${note.contains("urgent")}', {"note": "very urgent"}, True),
    ('${code.startsWith("GF")}', {"code": "GF-12"}, True),
    ("${name.length() > 3}", {"name": "Li"}, False),
    ("${items.size() == 2}", {"items": [1, 2]}, True),
    ('${execution.getVariable("approved")}', {"approved": "true"}, True),
    ('${execution.getVariable("days") >= 3}', {"days": 4}, True),
    ('${customer.prop("age").numberValue() >= 21}', {"customer": {"age": 30}}, True),
]


def run(expression: str, data: dict, boolean: bool) -> object:
    python = translate_expression(expression, boolean=boolean)
    return make_script_engine().environment.evaluate(python, dict(data))


@pytest.mark.parametrize(("expression", "data", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_el_table(expression: str, data: dict, expected: object) -> None:
    if expected == ERROR:
        with pytest.raises(ELError):
            run(expression, data, boolean=False)
        return
    got = run(expression, data, boolean=isinstance(expected, bool))  # a yes/no row is a condition
    assert got == expected and type(got) is type(expected), f"{expression}: {got!r}"


def test_conditions_are_yes_or_no_answers() -> None:
    python = translate_expression("${approved}")
    engine = make_script_engine().environment
    assert engine.evaluate(python, {"approved": "true"}) is True
    assert engine.evaluate(python, {"approved": None}) is False


@pytest.mark.parametrize(("expression", "reason"), [
    ("${execution.setVariable('a', 1)}", "Java engine"),
    ("${bean.compute(x)}", "Java code"),
    ("${fn:contains(a, b)}", "not a valid expression"),
    ("${a ? b}", "expected ':'"),
])
def test_what_needs_java_is_refused_with_its_reason(expression: str, reason: str) -> None:
    with pytest.raises(UntranslatableExpression) as caught:
        translate_expression(expression)
    assert reason in caught.value.reason
