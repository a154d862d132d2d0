"""Cron and ISO repeating timers: intake's translation of Quartz, Spring and Unix cron, and the runtime
firing them through APScheduler's CronTrigger on the operation's clock, at most once a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from engine.bpmn import cron as runtime_cron
from engine.bpmn import runtime
from engine.bpmn.sandbox import make_script_engine
from engine.bpmn.timers import using_clock
from engine.core import limits
from engine.core.clock import FixedClock
from engine.intake import cron
from engine.intake.dialects import normalize
from engine.intake.lint import lint

MONDAY = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 08:30 in China


@pytest.mark.parametrize(("text", "fields"), [
    ("0/5 0/1 * 1/1 * ?", "cron:0-59/5 0-59/1 * 1-31/1 * * *"),          # Quartz, from Camunda's examples
    ("0 15 10 ? * MON-FRI", "cron:0 15 10 * * mon-fri *"),
    ("0 0 12 ? * 2,4,6", "cron:0 0 12 * * mon,wed,fri *"),               # Quartz: 1 is Sunday
    ("0 0 9 ? * 6L", "cron:0 0 9 last_fri * * *"),                       # the last Friday of the month
    ("0 0 9 ? * 6#3", "cron:0 0 9 3rd_fri * * *"),                       # the third Friday
    ("0 0 8 L * ?", "cron:0 0 8 last * * *"),
    ("0 0 8 1 1 ? 2027", "cron:0 0 8 1 1 * 2027"),
    ("*/10 * * * *", "cron:0 */10 * * * * *"),                           # Unix, five fields
    ("0 9 * * 1-5", "cron:0 0 9 * * mon-fri *"),                         # Unix: 1 is Monday
])
def test_cron_dialects_become_cron_trigger_fields(text: str, fields: str) -> None:
    assert cron.to_fields(text) == fields


@pytest.mark.parametrize(("text", "reason"), [
    ("0 0 12 1W * ?", "nearest weekday"),
    ("0 0 25 * * ?", "hour"),
    ("0 0 12 * * XYZ", "day of the week"),
])
def test_what_cron_trigger_cannot_do_is_refused(text: str, reason: str) -> None:
    with pytest.raises(cron.CronError, match=reason):
        cron.to_fields(text)


def test_intake_and_runtime_agree_on_the_cycle_floor() -> None:
    assert limits.timer_limits().min_interval == timedelta(minutes=1)  # the floor both read
    assert cron.PREFIX == runtime_cron.PREFIX


def test_next_fire_follows_the_trigger_in_china_time_and_never_sooner_than_the_floor() -> None:
    workdays = cron.to_fields("0 0 9 ? * MON-FRI")
    assert runtime_cron.next_fire(workdays, MONDAY) == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    friday = datetime(2026, 3, 6, 2, tzinfo=UTC)
    assert runtime_cron.next_fire(workdays, friday) == datetime(2026, 3, 9, 1, 0, tzinfo=UTC)  # Monday again
    every_5s = cron.to_fields("0/5 * * * * ?")
    fired = datetime(2026, 3, 2, 1, 0, 5, tzinfo=UTC)
    assert runtime_cron.next_fire(every_5s, fired, previous=fired) == fired + timedelta(minutes=1)


BPMN = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def _instance(cycle: str, where: str) -> tuple[object, object]:
    timer = f"<bpmn:timerEventDefinition><bpmn:timeCycle>{cycle}</bpmn:timeCycle></bpmn:timerEventDefinition>"
    if where == "start":
        body = (f'<bpmn:startEvent id="s">{timer}</bpmn:startEvent><bpmn:userTask id="u" name="Work"/>'
                '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="u"/>'
                '<bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="e"/>')
    else:
        body = ('<bpmn:startEvent id="s"/><bpmn:userTask id="u" name="Work"/><bpmn:endEvent id="e"/>'
                f'<bpmn:boundaryEvent id="b" attachedToRef="u" cancelActivity="false">{timer}</bpmn:boundaryEvent>'
                '<bpmn:userTask id="r" name="Remind"/><bpmn:endEvent id="e2"/>'
                '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="u"/><bpmn:sequenceFlow id="f2" sourceRef="u" '
                'targetRef="e"/><bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="r"/>'
                '<bpmn:sequenceFlow id="f4" sourceRef="r" targetRef="e2"/>')
    tree = etree.fromstring(f'<bpmn:definitions {BPMN} id="d" targetNamespace="t"><bpmn:process id="p" '
                            f'isExecutable="true">{body}</bpmn:process></bpmn:definitions>'.encode()).getroottree()
    problems = normalize(tree, "f.bpmn") + lint(tree, "f.bpmn")
    assert [p.format() for p in problems if p.severity == "error"] == []
    parsed, failed = runtime.parse_batch({"f.bpmn": tree}, {"f.bpmn": ["p"]})
    assert failed == []
    with using_clock(FixedClock(MONDAY)):
        wf = runtime.new_workflow(parsed[0].spec, parsed[0].local_subprocess_specs, make_script_engine(), {})
    return wf, problems


def _at(wf: object, moment: datetime) -> list[str]:
    with using_clock(FixedClock(moment)):
        wf.refresh_timers()  # type: ignore[attr-defined]
        runtime.run_engine(wf)
    return sorted(t.name for t in runtime.open_tasks(wf))


def test_a_cron_boundary_fires_at_each_working_morning() -> None:
    wf, problems = _instance("0 0 9 ? * MON-FRI", "boundary")
    assert any(p.code == "adapted-timer" and "cron" in p.message for p in problems)
    assert runtime.next_timer_due(wf) == "2026-03-02T01:00:00+00:00"
    assert _at(wf, datetime(2026, 3, 2, 0, 59, tzinfo=UTC)) == ["Work"]
    assert _at(wf, datetime(2026, 3, 2, 1, 0, 1, tzinfo=UTC)) == ["Remind", "Work"]
    assert runtime.next_timer_due(wf) == "2026-03-03T01:00:00+00:00", "then the next working morning"


def test_a_cycle_more_often_than_the_floor_is_slowed_to_it() -> None:
    wf, problems = _instance("0/5 * * * * ?", "boundary")
    assert any("at most once every 0:01:00" in p.message for p in problems)
    first = datetime.fromisoformat(runtime.next_timer_due(wf) or "")
    _at(wf, first + timedelta(seconds=1))
    assert datetime.fromisoformat(runtime.next_timer_due(wf) or "") == first + timedelta(minutes=1)


def test_a_cron_cycle_stops_after_the_maximum_count() -> None:
    limits.configure_timers(max_cycles=2)
    try:
        wf, _ = _instance("0 0/5 * * * ?", "boundary")
        first = datetime.fromisoformat(runtime.next_timer_due(wf) or "")
        assert _at(wf, first + timedelta(seconds=1)) == ["Remind", "Work"]
        second = datetime.fromisoformat(runtime.next_timer_due(wf) or "")
        assert second == first + timedelta(minutes=5)
        assert _at(wf, second + timedelta(seconds=1)) == ["Remind", "Remind", "Work"]
        assert runtime.next_timer_due(wf) is None, "two firings, then the cycle is done"
    finally:
        limits.configure_timers(max_cycles=1000)


def test_a_cycle_on_the_start_event_runs_the_case_once() -> None:
    wf, problems = _instance("0 0 9 ? * MON-FRI", "start")
    assert "cycle-start" in {p.code for p in problems}
    assert _at(wf, datetime(2026, 3, 2, 1, 0, 1, tzinfo=UTC)) == ["Work"]
    assert runtime.next_timer_due(wf) is None, "the start fired once; nothing repeats inside the case"
    [work] = runtime.open_tasks(wf)
    with using_clock(FixedClock(datetime(2026, 3, 3, 2, tzinfo=UTC))):
        runtime.complete_task(wf, work.id, {})
    assert runtime.is_completed(wf)
