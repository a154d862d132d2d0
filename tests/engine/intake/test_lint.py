"""Lint rules one small model at a time, and the corpus contract: a file lint passes must build in
SpiffWorkflow's parser, and the MANIFEST's runnable files must pass lint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from engine.core.problems import ERROR, WARNING, Problem
from engine.intake.dialects import normalize
from engine.intake.lint import executable_process_ids, lint

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = f'xmlns:bpmn="{BPMN}"'
CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "conformance"


def doc(body: str, executable: str | None = "true", extra: str = "") -> etree._ElementTree:
    flag = "" if executable is None else f' isExecutable="{executable}"'
    xml = f'<bpmn:definitions {NS} id="d" targetNamespace="t">{extra}<bpmn:process id="p"{flag}>\n{body}' \
          "</bpmn:process></bpmn:definitions>"
    return etree.fromstring(xml.encode()).getroottree()


def problems(body: str, executable: str | None = "true", extra: str = "") -> list[Problem]:
    return lint(doc(body, executable, extra), "m.bpmn")


def found(body: str, code: str, executable: str | None = "true", extra: str = "") -> list[Problem]:
    return [p for p in problems(body, executable, extra) if p.code == code]


def errors(body: str) -> list[Problem]:
    return [p for p in problems(body) if p.severity == ERROR]


def flow(fid: str, src: str, dst: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{dst}"/>'
    return (f'<bpmn:sequenceFlow id="{fid}" name="{fid} label" sourceRef="{src}" targetRef="{dst}">'
            f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>")


S, E = '<bpmn:startEvent id="s"/>', '<bpmn:endEvent id="e"/>'
LINE = S + '<bpmn:task id="t"/>' + E + flow("f1", "s", "t") + flow("f2", "t", "e")


def test_a_clean_model_has_no_problems() -> None:
    assert problems(LINE) == []


def test_executable_process_ids() -> None:
    step = '<bpmn:startEvent id="s{}"/>'
    xml = (f'<bpmn:definitions {NS} id="d"><bpmn:process id="a">{step.format(1)}</bpmn:process>'
           f'<bpmn:process id="b" isExecutable="true">{step.format(2)}</bpmn:process>'
           f'<bpmn:process id="c" isExecutable="false">{step.format(3)}</bpmn:process>'
           '<bpmn:process id="empty" isExecutable="true"/></bpmn:definitions>')
    assert executable_process_ids(etree.fromstring(xml.encode()).getroottree()) == ["a", "b"]


def test_diagram_only_process_gets_one_warning_and_no_runtime_errors() -> None:
    body = S + '<bpmn:complexGateway id="g"/><bpmn:task id="t" isForCompensation="true"/>' + flow("f", "s", "t")
    result = problems(body, executable="false")
    assert [(p.severity, p.code, p.element_id) for p in result] == [(WARNING, "not-executable", "p")]
    assert {p.code for p in errors(body)} >= {"complex-gateway", "compensation"}


def test_integrity_errors_are_reported_even_in_a_diagram() -> None:
    body = S + '<bpmn:task id="t"/>' + flow("f", "t", "nowhere")
    assert [p.element_id for p in found(body, "dangling-reference", executable="false")] == ["f"]


def test_problems_are_located() -> None:
    [p] = found(LINE + '<bpmn:complexGateway id="cg" name="Vote"/>', "complex-gateway")
    assert (p.severity, p.file, p.element_id) == (ERROR, "m.bpmn", "cg")
    assert p.line == 2 and p.message


def test_absent_is_executable_counts_as_executable() -> None:
    assert found(LINE + '<bpmn:complexGateway id="cg"/>', "complex-gateway", executable=None)


def test_duplicate_id() -> None:
    [p] = found(LINE + '<bpmn:task id="t"/>', "duplicate-id")
    assert p.severity == ERROR and p.element_id == "t" and "t" in p.message


@pytest.mark.parametrize(("body", "element"), [
    (LINE + flow("bad", "t", "ghost"), "bad"),
    (LINE + flow("bad", "ghost", "t"), "bad"),
    (LINE + '<bpmn:boundaryEvent id="b" attachedToRef="ghost"/>', "b"),
    (S + '<bpmn:exclusiveGateway id="g" default="ghost"/>' + E + flow("f1", "s", "g") + flow("f2", "g", "e"), "g"),
])
def test_dangling_reference(body: str, element: str) -> None:
    result = found(body, "dangling-reference")
    assert [p.element_id for p in result] == [element] and result[0].severity == ERROR
    assert "ghost" in result[0].message


def test_link_events() -> None:
    body = LINE + '<bpmn:intermediateThrowEvent id="lt"><bpmn:linkEventDefinition name="A"/>' \
                  "</bpmn:intermediateThrowEvent>"
    assert [p.element_id for p in found(body, "link-event")] == ["lt"]


@pytest.mark.parametrize(("extra", "element"), [
    ('<bpmn:intermediateThrowEvent id="c"><bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>', "c"),
    ('<bpmn:task id="undo" isForCompensation="true"/>', "undo"),
])
def test_compensation(extra: str, element: str) -> None:
    assert [p.element_id for p in found(LINE + extra, "compensation")] == [element]


def test_complex_gateway() -> None:
    assert [p.element_id for p in found(LINE + '<bpmn:complexGateway id="cg"/>', "complex-gateway")] == ["cg"]


EVENT_SUB = ('<bpmn:subProcess id="es" triggeredByEvent="true"><bpmn:startEvent id="es_s"{attr}>{trigger}'
             '</bpmn:startEvent><bpmn:task id="es_t"/><bpmn:endEvent id="es_e"/>'
             + flow("es1", "es_s", "es_t") + flow("es2", "es_t", "es_e") + "</bpmn:subProcess>")
MESSAGE = '<bpmn:messageEventDefinition messageRef="m"/>'


@pytest.mark.parametrize("attr", ["", ' isInterrupting="true"', ' isInterrupting="false"'])
@pytest.mark.parametrize("trigger", [MESSAGE, '<bpmn:signalEventDefinition signalRef="g"/>',
                                     '<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>'
                                     "</bpmn:timerEventDefinition>",
                                     '<bpmn:escalationEventDefinition escalationRef="x"/>'])
def test_event_subprocesses_run_interrupting_or_not(attr: str, trigger: str) -> None:
    body = LINE + EVENT_SUB.format(attr=attr, trigger=trigger)
    extra = '<bpmn:message id="m" name="m"/><bpmn:signal id="g" name="g"/><bpmn:escalation id="x"/>'
    assert [p.format() for p in problems(body, extra=extra) if p.severity == ERROR] == []


def test_error_start_must_interrupt_and_every_start_needs_a_trigger() -> None:
    error = '<bpmn:errorEventDefinition errorRef="err"/>'
    extra = '<bpmn:error id="err" errorCode="E"/>'
    assert found(LINE + EVENT_SUB.format(attr="", trigger=error), "event-subprocess-start", extra=extra) == []
    [p] = found(LINE + EVENT_SUB.format(attr=' isInterrupting="false"', trigger=error), "event-subprocess-start",
                extra=extra)
    assert p.severity == ERROR and p.element_id == "es" and "tick 'Interrupting'" in p.message
    [p] = found(LINE + EVENT_SUB.format(attr="", trigger=""), "event-subprocess-start")
    assert p.severity == ERROR and "start together with the process" in p.message
    conditional = '<bpmn:conditionalEventDefinition><bpmn:condition>x &gt; 1</bpmn:condition>' \
                  "</bpmn:conditionalEventDefinition>"
    [p] = found(LINE + EVENT_SUB.format(attr="", trigger=conditional), "event-subprocess-start")
    assert "message or signal" in p.message


def test_implicit_split_is_a_warning_suggesting_a_parallel_gateway() -> None:
    body = LINE + '<bpmn:endEvent id="e2"/>' + flow("f3", "t", "e2")
    [p] = found(body, "implicit-split")
    assert p.severity == WARNING and p.element_id == "t" and "parallel gateway" in p.message
    assert not [x for x in problems(body) if x.severity == ERROR]


def adapted(body: str) -> tuple[etree._ElementTree, list[Problem]]:
    """The model after dialects.normalize, with what normalize and lint found."""
    tree = doc(body)
    found_problems = normalize(tree, "m.bpmn")
    return tree, found_problems + lint(tree, "m.bpmn")


def test_conditional_flow_from_task_leaves_through_an_inclusive_gateway() -> None:
    body = LINE + '<bpmn:endEvent id="e2"/>' + flow("f3", "t", "e2", "x == 1")
    tree, found_problems = adapted(body)
    [p] = [x for x in found_problems if x.code == "conditional-flow-from-task"]
    assert p.severity == WARNING and p.element_id == "t" and "inclusive gateway" in p.message
    assert not [x for x in found_problems if x.severity == ERROR]
    [gateway] = tree.getroot().iter(f"{{{BPMN}}}inclusiveGateway")
    outgoing = {f.get("id"): f.findtext(f"{{{BPMN}}}conditionExpression")
                for f in tree.getroot().iter(f"{{{BPMN}}}sequenceFlow") if f.get("sourceRef") == gateway.get("id")}
    assert outgoing == {"f2": "True", "f3": "x == 1"}


GATEWAY = S + '<bpmn:{kind} id="g" name="Approved?"{default}/>' + E + '<bpmn:endEvent id="e2"/>' \
    + flow("f1", "s", "g") + "{yes}{no}"


def conditions(tree: etree._ElementTree) -> dict[str, str | None]:
    return {f.get("id"): f.findtext(f"{{{BPMN}}}conditionExpression") for f in tree.getroot().iter(f"{{{BPMN}}}sequenceFlow")}


@pytest.mark.parametrize("kind", ["exclusiveGateway", "inclusiveGateway"])
def test_missing_condition_counts_as_true_with_a_warning(kind: str) -> None:
    body = GATEWAY.format(kind=kind, default="", yes=flow("yes", "g", "e", "ok == True"), no=flow("no", "g", "e2"))
    tree, found_problems = adapted(body)
    [p] = [x for x in found_problems if x.code == "missing-condition"]
    assert p.severity == WARNING and p.element_id == "no"
    assert "Approved?" in p.message and "counts as true" in p.message
    assert not [x for x in found_problems if x.severity == ERROR]
    expected = "not ((ok == True))" if kind == "exclusiveGateway" else "True"  # first true flow wins
    assert conditions(tree)["no"] == expected


def test_exclusive_gateway_takes_the_first_true_flow_in_file_order() -> None:
    body = S + '<bpmn:exclusiveGateway id="g"/>' + E + '<bpmn:endEvent id="e2"/><bpmn:endEvent id="e3"/>' \
        + flow("f1", "s", "g") + flow("a", "g", "e", "x > 1") + flow("b", "g", "e2") + flow("c", "g", "e3", "x > 5")
    tree, found_problems = adapted(body)
    assert conditions(tree) == {"f1": None, "a": "x > 1", "b": "not ((x > 1))", "c": "False"}
    assert [p.element_id for p in found_problems if p.code == "unreachable-flow"] == ["c"]


def test_empty_condition_is_missing_but_default_flow_needs_none() -> None:
    empty = GATEWAY.format(kind="exclusiveGateway", default="", yes=flow("yes", "g", "e", "ok"),
                           no=flow("no", "g", "e2", "  "))
    assert [p.element_id for p in adapted(empty)[1] if p.code == "missing-condition"] == ["no"]
    default = GATEWAY.format(kind="exclusiveGateway", default=' default="no"', yes=flow("yes", "g", "e", "ok"),
                             no=flow("no", "g", "e2"))
    assert [p for p in adapted(default)[1] if p.code == "missing-condition"] == []
    single = S + '<bpmn:exclusiveGateway id="g"/>' + E + flow("f1", "s", "g") + flow("f2", "g", "e")
    assert [p for p in adapted(single)[1] if p.code == "missing-condition"] == []


@pytest.mark.parametrize(("fmt", "refused"), [("groovy", True), ("javascript", True), ("c#", True),
                                              ("python", False), ("", False)])
def test_unsupported_script_language(fmt: str, refused: bool) -> None:
    attr = f' scriptFormat="{fmt}"' if fmt else ""
    body = LINE.replace('<bpmn:task id="t"/>', f'<bpmn:scriptTask id="t"{attr}><bpmn:script>x = 1</bpmn:script>'
                                               "</bpmn:scriptTask>")
    result = found(body, "unsupported-script-language")
    assert [p.element_id for p in result] == (["t"] if refused else [])


@pytest.mark.parametrize(("inner", "bad"), [("", True), ("<bpmn:script>  </bpmn:script>", True),
                                            ("<bpmn:script>x = 1</bpmn:script>", False)])
def test_empty_script(inner: str, bad: bool) -> None:
    assert bool(found(_task(inner, "scriptTask"), "empty-script")) is bad


TIMER = LINE + '<bpmn:boundaryEvent id="tb" attachedToRef="t"><bpmn:timerEventDefinition>{inner}' \
               "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"


@pytest.mark.parametrize("inner", ["", "<bpmn:timeDate/>", "<bpmn:timeDuration>  </bpmn:timeDuration>"])
def test_empty_timer(inner: str) -> None:
    [p] = found(TIMER.format(inner=inner), "empty-timer")
    assert p.severity == ERROR and p.element_id == "tb"


@pytest.mark.parametrize("cron", ["0/5 0/1 * 1/1 * ?", "0 0 12 * * ?", "0 15 10 ? * MON-FRI"])
def test_cron_cycles_run_but_not_as_dates_or_durations(cron: str) -> None:
    assert found(TIMER.format(inner=f"<bpmn:timeCycle>{cron}</bpmn:timeCycle>"), "cron-timer") == []
    [p] = found(TIMER.format(inner=f"<bpmn:timeDuration>{cron}</bpmn:timeDuration>"), "cron-timer")
    assert p.severity == ERROR and p.element_id == "tb" and "make the timer a cycle" in p.message


def test_a_cron_govflow_cannot_fire_says_why() -> None:
    [p] = found(TIMER.format(inner="<bpmn:timeCycle>0 0 12 15W * ?</bpmn:timeCycle>"), "cron-timer")
    assert "nearest weekday" in p.message


def test_quoted_iso_timer_is_fine() -> None:
    assert problems(TIMER.format(inner="<bpmn:timeDuration>\"PT1H\"</bpmn:timeDuration>")) == []


def test_global_task() -> None:
    body = LINE.replace('<bpmn:task id="t"/>', '<bpmn:callActivity id="t" calledElement="gt"/>')
    [p] = found(body, "global-task", extra='<bpmn:globalUserTask id="gt"/>')
    assert p.severity == ERROR and p.element_id == "t"
    assert found(body, "global-task") == []  # calling a process (resolved at deploy) is fine


@pytest.mark.parametrize(("body", "element"), [
    ('<bpmn:task id="t"/>', "p"),
    (LINE.replace('<bpmn:task id="t"/>', '<bpmn:subProcess id="t"><bpmn:task id="inner"/></bpmn:subProcess>'), "t"),
    (LINE + '<bpmn:startEvent id="s2"/>' + flow("f9", "s2", "t"), "p"),
])
def test_no_start_event(body: str, element: str) -> None:
    result = found(body, "no-start-event")
    assert [p.element_id for p in result] == [element] and result[0].severity == ERROR


def test_triggered_starts_beside_a_plain_start_are_fine() -> None:
    body = LINE + '<bpmn:startEvent id="s2"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>' \
        + flow("f9", "s2", "t")
    assert found(body, "no-start-event", extra='<bpmn:message id="m" name="m"/>') == []


# --- what SpiffWorkflow's parser needs (each model below made it raise before lint knew) ---------------

def _task(inner: str, tag: str = "userTask") -> str:
    return LINE.replace('<bpmn:task id="t"/>', f'<bpmn:{tag} id="t">{inner}</bpmn:{tag}>')


MI = "<bpmn:multiInstanceLoopCharacteristics>{}</bpmn:multiInstanceLoopCharacteristics>"
CARD, INPUT = "<bpmn:loopCardinality>3</bpmn:loopCardinality>", "<bpmn:loopDataInputRef>xs</bpmn:loopDataInputRef>"
IO = '<bpmn:ioSpecification><bpmn:dataInput id="a" name="a"/><bpmn:inputSet/><bpmn:outputSet/></bpmn:ioSpecification>'


@pytest.mark.parametrize(("inner", "bad"), [
    (MI.format(""), True), (MI.format(CARD + INPUT), True), (MI.format(CARD), False), (MI.format(INPUT), False),
    (IO + MI.format(INPUT), True), (IO.replace('"a"', '"xs"') + MI.format(INPUT), False),
])
def test_multi_instance_needs_exactly_one_input(inner: str, bad: bool) -> None:
    assert bool(found(_task(inner), "multi-instance-input")) is bad


def test_loop_without_condition() -> None:
    assert found(_task("<bpmn:standardLoopCharacteristics/>"), "loop-without-condition")
    ok = "<bpmn:standardLoopCharacteristics><bpmn:loopMaximum>3</bpmn:loopMaximum></bpmn:standardLoopCharacteristics>"
    assert found(_task(ok), "loop-without-condition") == []


def test_cancel_boundary_outside_transaction() -> None:
    body = LINE + '<bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>'
    assert [p.element_id for p in found(body, "cancel-outside-transaction")] == ["b"]


SUB = '<bpmn:subProcess id="t">{}</bpmn:subProcess>'


def test_sub_process_needs_one_start_and_an_end() -> None:
    no_end = LINE.replace('<bpmn:task id="t"/>', SUB.format('<bpmn:startEvent id="ss"/>'))
    assert [p.element_id for p in found(no_end, "no-end-event")] == ["t"]
    two = SUB.format('<bpmn:startEvent id="ss"/><bpmn:startEvent id="ss2"><bpmn:messageEventDefinition '
                     'messageRef="m"/></bpmn:startEvent><bpmn:endEvent id="se"/>')
    body = LINE.replace('<bpmn:task id="t"/>', two)
    assert [p.element_id for p in found(body, "no-start-event", extra='<bpmn:message id="m"/>')] == ["t"]


@pytest.mark.parametrize("definition", ["<bpmn:conditionalEventDefinition/>",
                                        "<bpmn:conditionalEventDefinition><bpmn:condition> </bpmn:condition>"
                                        "</bpmn:conditionalEventDefinition>"])
def test_conditional_event_without_condition(definition: str) -> None:
    body = LINE + f'<bpmn:intermediateCatchEvent id="c">{definition}</bpmn:intermediateCatchEvent>'
    assert [p.element_id for p in found(body, "missing-condition")] == ["c"]


@pytest.mark.parametrize(("body", "element"), [
    (LINE.replace('<bpmn:task id="t"/>', '<bpmn:callActivity id="t"/>'), "t"),
    (_task('<bpmn:dataInputAssociation id="di"><bpmn:sourceRef>nothing</bpmn:sourceRef></bpmn:dataInputAssociation>',
           "task"), "t"),
    (LINE + '<bpmn:dataObjectReference id="r" dataObjectRef="nothing"/>', "r"),
    (LINE + '<bpmn:intermediateCatchEvent id="c"><bpmn:messageEventDefinition/></bpmn:intermediateCatchEvent>', "c"),
    (LINE + '<bpmn:boundaryEvent id="c" attachedToRef="t"><bpmn:errorEventDefinition errorRef="sig"/>'
            "</bpmn:boundaryEvent>", "c"),
])
def test_references_spiffworkflow_cannot_resolve(body: str, element: str) -> None:
    result = found(body, "dangling-reference", extra='<bpmn:signal id="sig" name="sig"/>')
    assert [p.element_id for p in result] == [element]


def test_data_object_references_that_resolve_are_fine() -> None:
    body = _task('<bpmn:dataOutputAssociation id="do"><bpmn:targetRef>r</bpmn:targetRef>'
                 "</bpmn:dataOutputAssociation>", "task") \
        + '<bpmn:dataObject id="obj"/><bpmn:dataObjectReference id="r" dataObjectRef="obj"/>'
    assert found(body, "dangling-reference") == []


def test_shared_event_definitions_are_copied_in_and_ad_hoc_sub_processes_refused() -> None:
    body = LINE + '<bpmn:intermediateCatchEvent id="c"><bpmn:eventDefinitionRef>td</bpmn:eventDefinitionRef>' \
                  '</bpmn:intermediateCatchEvent><bpmn:intermediateCatchEvent id="u"><bpmn:eventDefinitionRef>nope' \
                  '</bpmn:eventDefinitionRef></bpmn:intermediateCatchEvent>' \
                  '<bpmn:adHocSubProcess id="ah"><bpmn:task id="a1"/></bpmn:adHocSubProcess>'
    shared = '<bpmn:timerEventDefinition id="td"><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition>'
    tree = doc(body, extra=shared)
    found_problems = normalize(tree, "m.bpmn") + lint(tree, "m.bpmn")
    [copied] = tree.getroot().xpath("//bpmn:intermediateCatchEvent[@id='c']/bpmn:timerEventDefinition", namespaces={"bpmn": BPMN})
    assert copied.get("id") == "td_c" and copied.findtext(f"{{{BPMN}}}timeDuration") == "'PT2H'"
    assert [(p.element_id, p.severity) for p in found_problems if p.code == "event-definition-ref"] == [("u", ERROR)]
    assert [p.element_id for p in found_problems if p.code == "ad-hoc-subprocess"] == ["ah"]


def test_correlation_property_without_retrieval_expression() -> None:
    [p] = found(LINE, "incomplete-correlation", extra='<bpmn:correlationProperty id="cp" name="case"/>')
    assert p.element_id == "cp"


@pytest.mark.parametrize(("kind", "text", "bad"), [
    ("timeDuration", '"hello"', True), ("timeDuration", '"2026-01-01"', True), ("timeDate", '"P7D"', True),
    ("timeCycle", '"R/P1D"', False), ("timeDate", "'2026-01-31T09:00:00Z'", False), ("timeDuration", "due", False),
])
def test_quoted_timer_values_must_be_iso_8601_of_their_kind(kind: str, text: str, bad: bool) -> None:
    result = found(TIMER.format(inner=f"<bpmn:{kind}>{text}</bpmn:{kind}>"), "invalid-timer")
    assert bool(result) is bad


def test_an_empty_first_timer_spec_is_empty() -> None:
    inner = '<bpmn:timeDate/><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>'
    assert found(TIMER.format(inner=inner), "empty-timer")


def test_event_based_gateway_must_lead_to_catch_events() -> None:
    catch = '<bpmn:intermediateCatchEvent id="c"><bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"' \
            "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    body = S + '<bpmn:eventBasedGateway id="g"/><bpmn:task id="t"/><bpmn:receiveTask id="r"/>' + catch + E \
        + flow("f1", "s", "g") + flow("f2", "g", "t") + flow("f3", "g", "r") + flow("f4", "g", "c") \
        + flow("f5", "t", "e") + flow("f6", "r", "e") + flow("f7", "c", "e")
    assert [p.element_id for p in found(body, "event-gateway-target")] == ["t"]


def test_boundary_event_without_trigger() -> None:
    body = LINE + '<bpmn:boundaryEvent id="b" attachedToRef="t"/>'
    assert [p.element_id for p in found(body, "boundary-without-trigger")] == ["b"]


def test_sequence_flows_and_boundaries_stay_in_their_pool() -> None:
    other = '<bpmn:process id="q" isExecutable="false"><bpmn:task id="zz"/></bpmn:process>'
    body = LINE + flow("cross", "t", "zz") + '<bpmn:boundaryEvent id="b" attachedToRef="zz">' \
        '<bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>' \
        "</bpmn:boundaryEvent>"
    assert sorted(p.element_id for p in found(body, "dangling-reference", extra=other)) == ["b", "cross"]


def test_script_syntax_errors_are_found_before_run_time() -> None:
    [p] = found(_task("<bpmn:script>x = = 1</bpmn:script>", "scriptTask"), "script-syntax")
    assert p.element_id == "t" and "line 1" in p.message
    assert found(_task("<bpmn:script>x = 1\nif x:\n    y = 2</bpmn:script>", "scriptTask"), "script-syntax") == []


# --- corpus ------------------------------------------------------------------------------------------

def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.glob("*/*") if p.suffix in (".bpmn", ".xml"))


def _verdicts() -> dict[str, str]:
    manifest = CORPUS / "MANIFEST.md"
    text = manifest.read_text(encoding="utf-8") if manifest.exists() else ""
    verdicts: dict[str, str] = {}
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        name = re.match(r"`([^`]+)`", section)
        verdict = re.search(r"\*\*Executable start-to-end:\*\*\s*([^\n(]+)", section)
        if name and verdict:
            verdicts[name.group(1)] = verdict.group(1).strip()
    return verdicts


def _load(path: Path) -> etree._ElementTree | None:
    try:
        return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None


def _checked(path: Path) -> tuple[etree._ElementTree, list[Problem]]:
    tree = _load(path)
    if tree is None:
        pytest.skip(f"{path.name} is not well-formed XML (the corpus's deliberately broken file)")
    name = path.relative_to(CORPUS).as_posix()
    return tree, normalize(tree, name) + lint(tree, name)


FILES = _corpus_files()
IDS = [p.relative_to(CORPUS).as_posix() for p in FILES]
needs_corpus = pytest.mark.skipif(not FILES, reason="conformance corpus not present")


@needs_corpus
def test_corpus_is_complete_and_only_one_file_is_malformed() -> None:
    assert len(FILES) == 76
    assert [p.name for p in FILES if _load(p) is None] == ["bpmn-js_draw_events.bpmn"]


@needs_corpus
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_corpus_lint_clean_files_build_in_spiffworkflow(path: Path) -> None:
    """No file without error problems may fail in the parser deploy uses (SpiffBpmnParser + govflow's
    extensions). Plain SpiffBpmnParser must also build it, except where govflow's parser exists for:
    service/send tasks without a Spiff operator (external work) and implicit parallel splits."""
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    from engine.bpmn.parser import GovflowParser

    tree, found_problems = _checked(path)
    name = path.relative_to(CORPUS).as_posix()
    assert all(p.file == name and p.severity in (ERROR, WARNING) and p.code for p in found_problems)
    if any(p.severity == ERROR for p in found_problems):
        return
    pids = executable_process_ids(tree)
    parser = GovflowParser()
    parser.add_bpmn_xml(tree, filename=name)
    for pid in pids:
        assert parser.get_spec(pid) is not None
    plain = SpiffBpmnParser()
    plain.add_bpmn_xml(tree, filename=name)
    codes = {p.code for p in found_problems}
    for pid in pids:
        try:
            plain.get_spec(pid)
        except Exception as exc:  # noqa: BLE001 - the message decides whether it is expected
            message = str(exc)
            external = "must have an operator" in message
            split = "Multiple outgoing flows" in message and "implicit-split" in codes
            assert external or split, f"{name} {pid}: {message}"


RUNNABLE = ("Yes", "Yes with adaptation")


@needs_corpus
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_corpus_runnable_files_have_no_errors(path: Path) -> None:
    verdict = _verdicts().get(path.relative_to(CORPUS).as_posix())
    if verdict not in RUNNABLE:
        pytest.skip(f"MANIFEST verdict: {verdict}")
    _, found_problems = _checked(path)
    assert [p.format() for p in found_problems if p.severity == ERROR] == []


@needs_corpus
def test_manifest_verdicts_are_read() -> None:
    verdicts = _verdicts()
    assert len(verdicts) == 76
    assert sum(v in RUNNABLE for v in verdicts.values()) == 38


@needs_corpus
@pytest.mark.parametrize(("name", "code"), [
    ("miwg/C.6.0_reference.bpmn", "compensation"),
    ("miwg/C.3.0_reference.bpmn", "no-start-event"),
    ("bpmn-io/bpmn-js_error_duplicate-ids.bpmn", "duplicate-id"),
    ("miwg/C.1.0_camunda-modeler-5.23_export.bpmn", "empty-timer"),
    ("miwg/C.8.1_reference.bpmn", "untranslatable-expression"),
    ("bpmn-io/bpmn-moddle_vendor_yaoqiang-event-definitions.bpmn", "untranslatable-expression"),
    ("flowable/TransactionSubProcessTest.testSimpleCase.bpmn20.xml", "compensation"),
])
def test_corpus_defects_are_named(name: str, code: str) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip("corpus file missing")
    _, found_problems = _checked(path)
    assert code in {p.code for p in found_problems if p.severity == ERROR}
