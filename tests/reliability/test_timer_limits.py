"""Timers: due times in constant time and equal to SpiffWorkflow's, values beyond the limits refused with
the element named (never a hang, an OverflowError or a 500), repeating timers bounded."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from engine.bpmn import timer_due
from engine.core import limits
from engine.core.errors import ExecutionError, InvalidDefinition
from engine.flow import definitions, instances, tasks
from engine.org import directory as org
from tests.reliability.bpmn import timer_process

STARTS = [datetime(2024, 1, 31, 9, tzinfo=UTC), datetime(2024, 2, 29, tzinfo=UTC), datetime(2025, 12, 31, 23, tzinfo=UTC),
          datetime(2026, 11, 2, 1, tzinfo=UTC), datetime(2000, 6, 15, tzinfo=UTC)]


@pytest.mark.parametrize("start", STARTS)
def test_month_arithmetic_equals_spiffworkflow_month_by_month(start: datetime) -> None:
    for years, months, days in itertools.product((0, 1, 3, 7), (0, 1, 2, 11, 13, 23), (0, 1, 45)):
        parsed = {"years": years, "months": months, "days": days, "hours": 5}
        assert timer_due.timedelta_from_start(dict(parsed), start) == timer_due.SPIFF_FROM_START(dict(parsed), start)
        assert timer_due.timedelta_from_end(dict(parsed), start) == timer_due.SPIFF_FROM_END(dict(parsed), start)
    with pytest.raises(timer_due.TimerRefused, match="fractions"):  # SpiffWorkflow fails on them with a TypeError
        timer_due.timedelta_from_start({"months": 1.5}, start)


@pytest.mark.parametrize("value", ["P99999999Y", "P9999Y", "P10Y1D", "P121M", "PT999999999999H", "P600W"])
def test_durations_beyond_the_limit_are_refused_before_any_arithmetic(value: str) -> None:
    parsed = timer_due.TimerEventDefinition.parse_iso_duration(value)
    with pytest.raises(timer_due.TimerRefused, match="10-year limit"):
        timer_due.timedelta_from_start(parsed, STARTS[0])


def test_ten_years_is_still_allowed() -> None:
    parsed = timer_due.TimerEventDefinition.parse_iso_duration("P10Y")
    assert timer_due.timedelta_from_start(dict(parsed), STARTS[3]) == timedelta(days=3653)  # 3 leap days
    assert timer_due.timedelta_from_start(dict(parsed), STARTS[3]) == timer_due.SPIFF_FROM_START(parsed, STARTS[3])


@pytest.fixture
def starter(session):
    org.create_user(session, "starter")
    return "starter"


def _deploy(session, now, process_id: str, kind: str, text: str, boundary: bool = False) -> None:
    definitions.deploy(session, "designer", now, [(f"{process_id}.bpmn", timer_process(process_id, kind, text, boundary))])


@pytest.mark.parametrize("value, reason", [
    ("P99999999Y", "10-year limit"), ("P9999Y", "10-year limit"), ("PXYZ", "not an ISO 8601"),
    ("2026-13-45", "not an ISO 8601"),
])
def test_a_timer_value_from_case_data_beyond_reason_fails_the_step_naming_the_timer(session, now, starter,
                                                                                     value, reason) -> None:
    _deploy(session, now, "wait_data", "timeDuration" if value.startswith("P") else "timeDate", "wait_for")
    with pytest.raises(ExecutionError, match=reason) as refused:
        instances.start(session, starter, now, "wait_data", {"wait_for": value})
    assert refused.value.element_id == "wait" and "'Wait' (wait)" in str(refused.value)


@pytest.mark.parametrize("value, reason", [("R/PT1S", "at least 60 seconds"), ("R5000/PT1H", "at most 1000 times")])
def test_repeating_timer_from_case_data_outside_the_limits_is_refused(session, now, starter, value, reason) -> None:
    _deploy(session, now, "cycle_data", "timeCycle", "every", boundary=True)
    with pytest.raises(ExecutionError, match=reason):
        instances.start(session, starter, now, "cycle_data", {"every": value})


def test_unbounded_cycle_stops_after_the_maximum_count(session, now, starter) -> None:
    previous = limits.timer_limits()
    limits.configure_timers(max_cycles=3)
    try:
        _deploy(session, now, "cycle_forever", "timeCycle", "'R/PT1H'", boundary=True)
        inst = instances.start(session, starter, now, "cycle_forever")
        for hour in range(1, 8):  # seven hours: an unbounded cycle would have fired seven times
            if inst.next_timer_at is not None:
                instances.fire_timers(session, now + timedelta(hours=hour, minutes=1), inst.id)
    finally:
        limits.configure_timers(max_cycles=previous.max_cycles)
    reminders = [t for t in tasks.open_for_instance(session, inst.id) if t.element_id == "remind"]
    assert len(reminders) == 3 and inst.next_timer_at is None


@pytest.mark.parametrize("kind, text, message", [
    ("timeDuration", "'P11Y'", "10-year limit"),
    ("timeDuration", "'P99999999Y'", "10-year limit"),
    ("timeDuration", "PXYZ", "not an ISO 8601"),
    ("timeCycle", "'R/PT1S'", "at least 60 seconds"),
    ("timeCycle", "R5000/P1D", "at most 1000 times"),
    ("timeDuration", "P11Y", "10-year limit"),
    ("timeCycle", "R/PT1S", "at least 60 seconds"),
])
def test_deploy_refuses_timers_beyond_the_limits_naming_element_and_line(session, now, kind, text, message) -> None:
    with pytest.raises(InvalidDefinition) as refused:
        _deploy(session, now, "bad_timer", kind, text, boundary=kind == "timeCycle")
    found = [p for p in refused.value.problems if message in p.message]
    assert found and found[0].element_id == "wait" and found[0].line == 3, refused.value.problems


@pytest.mark.parametrize("script, message, line", [
    ("x = 1\n_hidden = 2\n", "starts with \"_\"", 4),
    ("total = 0\nimport os\n", "import is not allowed", 4),
    ("while True:\n    pass\n", "while loops are not allowed", 3),
])
def test_deploy_refuses_a_script_the_sandbox_cannot_compile_with_element_and_line(session, now, script, message,
                                                                                  line) -> None:
    from tests.reliability.bpmn import script_process
    with pytest.raises(InvalidDefinition) as refused:
        definitions.deploy(session, "designer", now, [("bad_script.bpmn", script_process("bad_script", script))])
    found = [p for p in refused.value.problems if p.code == "invalid-code"]
    assert found and message in found[0].message and found[0].element_id == "calc", refused.value.problems
    assert found[0].line == line


def test_deploy_refuses_a_timer_expression_the_sandbox_refuses(session, now) -> None:
    bad = timer_process("bad_expr", "timeDuration", "wait_for.__class__")
    with pytest.raises(InvalidDefinition) as refused:
        definitions.deploy(session, "designer", now, [("bad_expr.bpmn", bad)])
    assert any(p.code == "invalid-code" and p.element_id == "wait" and "timer" in p.message
               for p in refused.value.problems), refused.value.problems
