"""Event sub-processes run as BPMN says: interrupting ones end the rest of their scope, non-interrupting
ones run beside it (as often as triggered), for timer, message, signal, error and escalation starts,
at the top level and inside sub-processes; each case also runs with a save-and-reload between steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from engine.bpmn import runtime
from engine.bpmn.sandbox import make_script_engine
from engine.bpmn.serializer import serializer
from engine.bpmn.timers import using_clock
from engine.core.clock import FixedClock

BPMN = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
SHARED = ('<bpmn:message id="m" name="cancel"/><bpmn:error id="err" errorCode="E1"/>'
          '<bpmn:signal id="sig" name="alarm"/><bpmn:escalation id="esc" escalationCode="X"/>')
TRIGGERS = {
    "message": '<bpmn:messageEventDefinition messageRef="m"/>',
    "signal": '<bpmn:signalEventDefinition signalRef="sig"/>',
    "error": '<bpmn:errorEventDefinition errorRef="err"/>',
    "escalation": '<bpmn:escalationEventDefinition escalationRef="esc"/>',
    "timer": "<bpmn:timerEventDefinition><bpmn:timeDuration>'PT1H'</bpmn:timeDuration></bpmn:timerEventDefinition>",
}
START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def seq(prefix: str, *ids: str) -> str:
    return "".join(f'<bpmn:sequenceFlow id="{prefix}{i}" sourceRef="{a}" targetRef="{b}"/>'
                   for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False)))


def handler(ident: str, trigger: str, interrupting: bool) -> str:
    flag = "true" if interrupting else "false"
    return (f'<bpmn:subProcess id="{ident}" triggeredByEvent="true"><bpmn:startEvent id="{ident}_s" '
            f'isInterrupting="{flag}">{trigger}</bpmn:startEvent><bpmn:userTask id="{ident}_h" name="Handle"/>'
            f'<bpmn:endEvent id="{ident}_e"/>' + seq(f"{ident}_f", f"{ident}_s", f"{ident}_h", f"{ident}_e")
            + "</bpmn:subProcess>")


MAIN = ('<bpmn:startEvent id="s"/><bpmn:userTask id="work" name="Work"/><bpmn:userTask id="more" name="More"/>'
        '<bpmn:endEvent id="e"/>' + seq("m", "s", "work", "more", "e"))


class Case:
    """One instance, optionally saved and reloaded before every step."""

    def __init__(self, body: str, reload: bool):
        xml = f'<bpmn:definitions {BPMN} id="d" targetNamespace="t">{SHARED}<bpmn:process id="p" ' \
              f'isExecutable="true">{body}</bpmn:process></bpmn:definitions>'
        parsed, problems = runtime.parse_batch({"f": etree.fromstring(xml.encode()).getroottree()}, {"f": ["p"]})
        assert problems == []
        self.spec, self.subs = parsed[0].spec, parsed[0].local_subprocess_specs
        self.reload = reload
        self.now = START
        with using_clock(FixedClock(START)):
            self.wf = runtime.new_workflow(self.spec, self.subs, make_script_engine(), {"amount": 1})

    def step(self) -> Any:
        if self.reload:
            state = serializer().dump(self.wf)
            self.wf = serializer().load(state, self.spec, self.subs)
            self.wf.script_engine = make_script_engine()
        return self.wf

    def open(self) -> list[str]:
        return sorted(t.name for t in runtime.open_tasks(self.step()))

    def complete(self, name: str, **data: Any) -> None:
        [task] = [t for t in runtime.open_tasks(self.step()) if t.name == name][:1]
        with using_clock(FixedClock(self.now)):
            runtime.complete_task(self.wf, task.id, data)

    def send(self, kind: str) -> None:
        wf = self.step()
        with using_clock(FixedClock(self.now)):
            if kind == "message":
                runtime.send_message(wf, "cancel", {"why": "late"})
            else:
                runtime.send_signal(wf, "alarm", {})

    def wait(self, hours: int) -> None:
        wf = self.step()
        self.now += timedelta(hours=hours)
        with using_clock(FixedClock(self.now)):
            wf.refresh_timers()
            runtime.run_engine(wf)

    @property
    def done(self) -> bool:
        return runtime.is_completed(self.step())


MODES = [False, True]


@pytest.mark.parametrize("reload", MODES, ids=["straight", "reload"])
@pytest.mark.parametrize("kind", ["message", "signal"])
def test_an_interrupting_event_subprocess_ends_the_main_flow(kind: str, reload: bool) -> None:
    case = Case(MAIN + handler("esp", TRIGGERS[kind], True), reload)
    assert case.open() == ["Work"]
    case.send(kind)
    assert case.open() == ["Handle"], "the main flow's task is cancelled"
    case.complete("Handle")
    assert case.done


@pytest.mark.parametrize("reload", MODES, ids=["straight", "reload"])
def test_a_non_interrupting_one_runs_beside_the_main_flow_each_time_it_is_triggered(reload: bool) -> None:
    case = Case(MAIN + handler("esp", TRIGGERS["message"], False), reload)
    case.send("message")
    case.send("message")
    assert case.open() == ["Handle", "Handle", "Work"]
    case.complete("Handle")
    case.complete("Work")
    case.complete("More")
    assert not case.done, "the scope ends only when its event sub-processes have ended too"
    case.complete("Handle")
    assert case.done


@pytest.mark.parametrize("reload", MODES, ids=["straight", "reload"])
def test_a_timer_start_interrupts_when_due(reload: bool) -> None:
    case = Case(MAIN + handler("esp", TRIGGERS["timer"], True), reload)
    case.complete("Work")
    assert case.open() == ["More"]
    case.wait(hours=2)
    assert case.open() == ["Handle"]
    case.complete("Handle")
    assert case.done


@pytest.mark.parametrize("reload", MODES, ids=["straight", "reload"])
def test_an_error_start_catches_the_main_flows_error_and_sees_its_data(reload: bool) -> None:
    body = ('<bpmn:startEvent id="s"/><bpmn:userTask id="work" name="Work"/><bpmn:endEvent id="e">'
            '<bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>' + seq("m", "s", "work", "e"))
    case = Case(body + handler("esp", TRIGGERS["error"], True), reload)
    assert case.open() == ["Work"], "an error start no longer fires when the instance starts"
    case.complete("Work", amount=42)
    [handle] = [t for t in runtime.open_tasks(case.step()) if t.name == "Handle"]
    assert handle.data["amount"] == 42, "the handler sees what the main flow entered"
    case.complete("Handle")
    assert case.done


@pytest.mark.parametrize("reload", MODES, ids=["straight", "reload"])
def test_a_non_interrupting_escalation_start_lets_the_main_flow_go_on(reload: bool) -> None:
    body = ('<bpmn:startEvent id="s"/><bpmn:intermediateThrowEvent id="up"><bpmn:escalationEventDefinition '
            'escalationRef="esc"/></bpmn:intermediateThrowEvent><bpmn:userTask id="work" name="Work"/>'
            '<bpmn:endEvent id="e"/>' + seq("m", "s", "up", "work", "e"))
    case = Case(body + handler("esp", TRIGGERS["escalation"], False), reload)
    assert case.open() == ["Handle", "Work"]
    case.complete("Work")
    case.complete("Handle")
    assert case.done


@pytest.mark.parametrize("reload", MODES, ids=["straight", "reload"])
def test_an_event_subprocess_inside_a_sub_process_ends_only_that_sub_process(reload: bool) -> None:
    inner = ('<bpmn:startEvent id="is"/><bpmn:userTask id="iw" name="Inner"/><bpmn:endEvent id="ie"/>'
             + seq("i", "is", "iw", "ie") + handler("esp_in", TRIGGERS["message"], True))
    body = (f'<bpmn:startEvent id="s"/><bpmn:subProcess id="sp" name="SP">{inner}</bpmn:subProcess>'
            '<bpmn:userTask id="after" name="After"/><bpmn:endEvent id="e"/>' + seq("m", "s", "sp", "after", "e"))
    case = Case(body, reload)
    assert case.open() == ["Inner"]
    case.send("message")
    assert case.open() == ["Handle"]
    case.complete("Handle")
    assert case.open() == ["After"], "the sub-process ends and the flow after it goes on"
    case.complete("After")
    assert case.done


def test_triggering_one_instance_leaves_the_shared_spec_alone() -> None:
    case = Case(MAIN + handler("esp", TRIGGERS["message"], True), reload=False)
    before = serializer().spec_to_dict(case.spec)
    case.send("message")
    case.complete("Handle")
    assert serializer().spec_to_dict(case.spec) == before
