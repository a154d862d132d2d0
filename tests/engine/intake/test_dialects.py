"""Vendor dialects become what SpiffWorkflow runs: every translation on small inputs, then the corpus."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.sandbox import make_script_engine
from engine.core.errors import InvalidDefinition
from engine.intake.dialects import normalize
from engine.intake.expressions import (
    KEYWORD_PREFIX,
    VENDOR_NAMESPACES,
    UntranslatableExpression,
    keyword_alias,
    translate_expression,
)
from engine.intake.lint import lint
from engine.intake.xmlsafe import parse_bpmn

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "conformance"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = (f'xmlns:bpmn="{BPMN}" xmlns:activiti="{VENDOR_NAMESPACES["activiti"]}" '
      f'xmlns:camunda="{VENDOR_NAMESPACES["camunda"]}" xmlns:zeebe="{VENDOR_NAMESPACES["zeebe"]}"')
EXPRESSIONS = ("conditionExpression", "completionCondition", "loopCondition")
TIMERS = ("timeDate", "timeDuration", "timeCycle")


def tree(body: str, extra: str = "") -> etree._ElementTree:
    xml = f'<bpmn:definitions {NS} id="d" targetNamespace="t">{extra}\n<bpmn:process id="p" isExecutable="true">' \
          f"\n{body}\n</bpmn:process></bpmn:definitions>"
    return etree.fromstring(xml.encode()).getroottree()


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "MANIFEST.md")


needs_corpus = pytest.mark.skipif(not corpus_files(), reason="conformance corpus not found next to the project")


# --- translate_expression ------------------------------------------------------------------------

def value_of(python: str, **data: object) -> object:
    """What the sandbox makes of a translated expression."""
    return make_script_engine().environment.evaluate(python, dict(data))


@pytest.mark.parametrize(("source", "data", "expected"), [
    ("${amount > 100}", {"amount": 150}, True),
    ("#{amount > 100}", {"amount": 50}, False),
    ("${a && b}", {"a": True, "b": False}, False),
    ("${a || b}", {"a": False, "b": True}, True),
    ("${!done}", {"done": "false"}, True),
    ("${x != 3}", {"x": 3}, False),
    ("${a eq 1 or b ne 2}", {"a": 0, "b": 3}, True),
    ("${a lt 1 and b gt 2}", {"a": 0, "b": 3}, True),
    ("${a le 1 && b ge 2}", {"a": 1, "b": 1}, False),
    ("${a div 2 mod 3 == 1}", {"a": 8}, True),
    ("${not approved}", {"approved": True}, False),
    ("${empty items}", {"items": []}, True),
    ("${not empty items}", {"items": [1]}, True),
    ("${flag == true || other == false || x == null}", {"flag": False, "other": True, "x": None}, True),
    ("${items.size() > 0}", {"items": [1, 2]}, True),
    ("${pass == 1}", {"pass": 1}, True),
    ("${class eq 'A' && from lt 3 && in}", {"class": "A", "from": 2, "in": True}, True),
    ("${approved}", {"approved": "true"}, True),
    ("=fraud", {"fraud": "false"}, False),
    ("= x > 3", {"x": 4}, True),
    ("bpmn:getDataObject('approved')", {"approved": True}, True),
    ("not(bpmn:getDataObject('approved'))", {"approved": True}, False),
])
def test_juel_feel_and_xpath_run_as_their_engines_do(source: str, data: dict, expected: object) -> None:
    assert value_of(translate_expression(source), **data) == expected


@pytest.mark.parametrize(("source", "python"), [
    ("${amount > 100}", "el_gt(amount, 100)"),
    ("${!done}", "(not el_bool(done))"),
    ("${pass == 1}", "el_eq(v_pass, 1)"),
    ("=fraud", "truthy(fraud)"),
    ("= x > 3", "x > 3"),
    ("${items.size() > 0}", "el_gt(el_call(items, 'size'), 0)"),
])
def test_translations_call_the_el_functions(source: str, python: str) -> None:
    assert translate_expression(source) == python


@pytest.mark.parametrize("source", [
    "${note == 'a && b || !c eq d'}",
    '${note == "empty x and true"}',
    "${note == 'it\\'s && null'}",
])
def test_nothing_inside_string_literals_is_rewritten(source: str) -> None:
    literal = source[source.index("== ") + 3:-1]
    assert translate_expression(source) == f"el_eq(note, {ast.literal_eval(literal)!r})"


@pytest.mark.parametrize("python", [
    "approved == True", '"PT1S"', "len(x) > 0", "not done", "a != b", "x if y else z",
    "path == \"Path A\"", "quantity < 0", "value == \"\"", "lt > 3", "empty == 1",
    "product_info.color == True", "days_between(start, now()) > 5", "'a && b' in note",
])
def test_python_comes_back_unchanged(python: str) -> None:
    assert translate_expression(python) == python


@pytest.mark.parametrize(("source", "reason"), [
    ("#{svc.find(x)}", "method call"),
    ("${reservationService.showUp()}", "method call"),
    ("Service Level == 'Premium'", "spaces"),
    ('Vacation Approval = "Approved"', "spaces"),
    ("DateTime.AddDays(Execution.Created, 1)", "C#"),
    ("${System.currentTimeMillis()}", "method call"),
    ("${a == }", "not a valid expression"),
    ("${a} and ${b}", "several"),
])
def test_untranslatable_expressions_say_why(source: str, reason: str) -> None:
    with pytest.raises(UntranslatableExpression) as caught:
        translate_expression(source)
    assert caught.value.text == source
    assert any(part in caught.value.reason for part in reason.split("|")), caught.value.reason


def test_keyword_aliases_are_exported() -> None:
    assert KEYWORD_PREFIX == "v_"
    assert keyword_alias("pass") == "v_pass" and keyword_alias("lambda") == "v_lambda"
    assert keyword_alias("amount") == "amount"


def test_value_context_does_not_wrap_in_truthy() -> None:
    assert translate_expression("${reportBackTimeout}", boolean=False) == "reportBackTimeout"


# --- normalize -----------------------------------------------------------------------------------

def _flow(cond: str, ident: str = "f1") -> str:
    return f'<bpmn:sequenceFlow id="{ident}" sourceRef="g" targetRef="e">' \
           f"<bpmn:conditionExpression>{cond}</bpmn:conditionExpression></bpmn:sequenceFlow>"


def test_conditions_are_rewritten_in_place_keeping_lines_and_warning() -> None:
    t = tree(_flow("${approved &amp;&amp; amount gt 10}"))
    flow = t.getroot().find(f".//{{{BPMN}}}sequenceFlow")
    line = flow.sourceline
    problems = normalize(t, "f.bpmn")
    cond = flow.find(f"{{{BPMN}}}conditionExpression")
    assert cond.text == "(el_bool(approved) and el_gt(amount, 10))" and flow.sourceline == line
    (warning,) = problems
    assert (warning.severity, warning.code, warning.element_id, warning.file) == \
           ("warning", "adapted-expression", "f1", "f.bpmn")
    assert warning.line == cond.sourceline


def test_completion_and_loop_conditions_are_translated() -> None:
    t = tree('<bpmn:userTask id="u"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3'
             "</bpmn:loopCardinality><bpmn:completionCondition>${nrOfCompletedInstances ge 2}"
             '</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>'
             '<bpmn:task id="l"><bpmn:standardLoopCharacteristics><bpmn:loopCondition>${!done}'
             "</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:task>")
    normalize(t, "f.bpmn")
    assert t.getroot().findtext(f".//{{{BPMN}}}completionCondition") == "el_ge(nrOfCompletedInstances, 2)"
    assert t.getroot().findtext(f".//{{{BPMN}}}loopCondition") == "(not el_bool(done))"


def test_untranslatable_condition_is_an_error_on_its_flow() -> None:
    t = tree(_flow("${svc.check(x)}", "risky"))
    (problem,) = normalize(t, "f.bpmn")
    assert (problem.severity, problem.code, problem.element_id) == ("error", "untranslatable-expression", "risky")
    assert problem.line == 3 and "svc" in problem.message


@pytest.mark.parametrize(("text", "expected"), [
    ("PT10M", "'PT10M'"), ("P7D", "'P7D'"), ("P1Y2M", "'P1Y2M'"),
    ("2026-01-01T10:00:00Z", "'2026-01-01T10:00:00Z'"), ("R6/P1D", "'R6/P1D'"), ("R/PT1H", "'R/PT1H'"),
    ("R3/2026-01-01T00:00:00Z/P1D", "'R3/2026-01-01T00:00:00Z/P1D'"),
    ("${reportBackTimeout}", "reportBackTimeout"), ('"PT1S"', '"PT1S"'),
])
def test_timers_become_python(text: str, expected: str) -> None:
    t = tree(f'<bpmn:intermediateCatchEvent id="c"><bpmn:timerEventDefinition><bpmn:timeDuration>{text}'
             "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>")
    problems = normalize(t, "f.bpmn")
    assert t.getroot().findtext(f".//{{{BPMN}}}timeDuration") == expected
    assert [p.severity for p in problems] == ([] if text == expected else ["warning"])
    assert all(p.element_id == "c" for p in problems)


@pytest.mark.parametrize(("text", "code"), [("0 0 12 1W * ?", "cron-timer"), ("0 0 25 * * ?", "cron-timer"),
                                          ("1w", "invalid-timer"),
                                          ("DateTime.AddDays(Execution.Created, 1)", "untranslatable-expression")])
def test_hopeless_timers_are_left_for_lint_and_reported_once(text: str, code: str) -> None:
    t = tree(f'<bpmn:startEvent id="c"><bpmn:timerEventDefinition id="td"><bpmn:timeCycle>{text}'
             "</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>")
    assert normalize(t, "f.bpmn") == []
    assert t.getroot().findtext(f".//{{{BPMN}}}timeCycle") == text
    found = [(p.severity, p.code, p.element_id) for p in lint(t, "f.bpmn")]
    assert found == [("error", code, "c")]


MI_FLOW = """
  <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="a" sourceRef="s" targetRef="sign"/>
  <bpmn:userTask id="sign">{mi}</bpmn:userTask>
  <bpmn:sequenceFlow id="b" sourceRef="sign" targetRef="e"/><bpmn:endEvent id="e"/>"""


@pytest.mark.parametrize("mi", [
    '<bpmn:multiInstanceLoopCharacteristics activiti:collection="${users}" activiti:elementVariable="user"/>',
    '<bpmn:multiInstanceLoopCharacteristics camunda:collection="users" camunda:elementVariable="user"/>',
    '<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics '
    'inputCollection="=users" inputElement="user"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>',
])
def test_vendor_multi_instance_runs_in_spiffworkflow(mi: str) -> None:
    t = tree(MI_FLOW.format(mi=mi))
    problems = normalize(t, "f.bpmn")
    assert [p.code for p in problems] == ["adapted-multi-instance"]
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(t, filename="f.bpmn")
    wf = BpmnWorkflow(parser.get_spec("p"))
    wf.get_next_task(state=TaskState.READY).set_data(users=["alice", "bob", "carol"])
    wf.do_engine_steps()
    ready = wf.get_tasks(state=TaskState.READY, manual=True)
    assert sorted(task.data["user"] for task in ready) == ["alice", "bob", "carol"]
    for task in ready:
        task.run()
    wf.do_engine_steps()
    assert wf.completed


def test_untranslatable_collection_is_an_error() -> None:
    t = tree(MI_FLOW.format(mi='<bpmn:multiInstanceLoopCharacteristics activiti:collection="${svc.list()}" '
                               'activiti:elementVariable="user"/>'))
    assert [(p.severity, p.code) for p in normalize(t, "f.bpmn")] == [("error", "untranslatable-expression")]


ERROR_END = """
  <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="a" sourceRef="s" targetRef="e"/>
  <bpmn:endEvent id="e"><bpmn:{kind}EventDefinition {attr}="PAYMENT_REJECT"/></bpmn:endEvent>"""


@pytest.mark.parametrize(("kind", "attr", "code_attr"), [
    ("error", "errorRef", "errorCode"), ("escalation", "escalationRef", "escalationCode"),
    ("signal", "signalRef", None), ("message", "messageRef", None),
])
def test_missing_referenced_elements_are_created(kind: str, attr: str, code_attr: str | None) -> None:
    t = tree(ERROR_END.format(kind=kind, attr=attr))
    if kind == "error":  # SpiffWorkflow's own handling of this crashes with an internal TypeError
        with pytest.raises(Exception, match="node"):
            _spec(tree(ERROR_END.format(kind=kind, attr=attr)))
    problems = normalize(t, "f.bpmn")
    assert [(p.severity, p.code, p.element_id) for p in problems] == [("warning", "created-reference", "e")]
    created = t.getroot().find(f"{{{BPMN}}}{kind}")
    assert created is not None and created.get("id") == "PAYMENT_REJECT"
    if code_attr:
        assert created.get(code_attr) == "PAYMENT_REJECT"
    assert _spec(t) is not None


def _spec(t: etree._ElementTree) -> object:
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(t, filename="f.bpmn")
    return parser.get_spec("p")


def test_data_stores_are_removed_with_their_associations() -> None:
    t = tree("""<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t"/>
      <bpmn:task id="t"><bpmn:dataOutputAssociation id="out"><bpmn:targetRef>store</bpmn:targetRef>
      </bpmn:dataOutputAssociation></bpmn:task><bpmn:sequenceFlow id="b" sourceRef="t" targetRef="e"/>
      <bpmn:endEvent id="e"/><bpmn:dataStoreReference id="store" name="Register" dataStoreRef="ds"/>""",
             extra='<bpmn:dataStore id="ds" name="Register"/>')
    with pytest.raises(Exception, match="no implementation"):
        _spec(t)
    problems = normalize(t, "f.bpmn")
    assert {(p.severity, p.code, p.element_id) for p in problems} == {
        ("warning", "data-store-ignored", "store"), ("warning", "data-store-ignored", "ds")}
    assert "documentation only" in problems[0].message
    assert t.getroot().find(f".//{{{BPMN}}}dataStoreReference") is None
    assert t.getroot().find(f".//{{{BPMN}}}dataOutputAssociation") is None
    assert _spec(t) is not None


def test_vendor_namespaces_are_exposed() -> None:
    assert VENDOR_NAMESPACES == {
        "camunda": "http://camunda.org/schema/1.0/bpmn", "activiti": "http://activiti.org/bpmn",
        "flowable": "http://flowable.org/bpmn", "zeebe": "http://camunda.org/schema/zeebe/1.0",
        "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}


# --- the corpus ----------------------------------------------------------------------------------

def _corpus_expressions() -> list[tuple[str, str, str]]:
    found = []
    for path in corpus_files():
        try:
            root = etree.parse(str(path)).getroot()
        except etree.XMLSyntaxError:
            continue
        for el in root.iter():
            if isinstance(el.tag, str) and etree.QName(el).localname in EXPRESSIONS + TIMERS and (el.text or "").strip():
                found.append((str(path.relative_to(CORPUS)), etree.QName(el).localname, el.text.strip()))
    return found


@needs_corpus
def test_every_corpus_expression_is_python_or_refused() -> None:
    expressions = _corpus_expressions()
    assert len(expressions) > 50
    translated = 0
    for name, tag, text in expressions:
        try:
            out = translate_expression(text, boolean=tag in EXPRESSIONS)
        except UntranslatableExpression:
            continue
        ast.parse(out, mode="eval")
        translated += 1
        if name.startswith("spiff/"):  # SpiffWorkflow's own files are Python already
            assert out == text, (name, text, out)
    assert translated > 40


@needs_corpus
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_normalize_never_raises_and_leaves_python_only(path: Path) -> None:
    name = str(path.relative_to(CORPUS))
    try:
        t = parse_bpmn(path.read_bytes(), name)
    except InvalidDefinition:
        return
    problems = normalize(t, name)
    assert all(p.file == name and p.severity in ("error", "warning") and p.code for p in problems)
    failed = {p.line for p in problems if p.code == "untranslatable-expression"}
    for el in t.getroot().iter():
        if isinstance(el.tag, str) and etree.QName(el).localname in EXPRESSIONS and el.sourceline not in failed:
            ast.parse((el.text or "True").strip() or "True", mode="eval")


def test_loop_cardinality_expressions_are_translated_as_values() -> None:
    t = tree('<bpmn:userTask id="u"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>${nrOfApprovers}'
             "</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>")
    assert [p.code for p in normalize(t, "f.bpmn")] == ["adapted-expression"]
    assert t.getroot().findtext(f".//{{{BPMN}}}loopCardinality") == "nrOfApprovers"
