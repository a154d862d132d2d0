"""Hypothesis against the engine's intake: mutated BPMN XML and arbitrary timer values are either
deployed and run, or refused with InvalidDefinition / ExecutionError naming what is wrong; nothing
else ever escapes (which the web edge would show as a 500)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core.errors import EngineError, ExecutionError, InvalidDefinition
from engine.flow import definitions, instances
from engine.org import directory as org
from tests.conftest import forget_live_objects
from tests.reliability.bpmn import script_process, timer_process
from tests.reliability.conftest import report

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ISO_PIECES = st.sampled_from(["P", "T", "R", "/", "Y", "M", "W", "D", "H", "S", "-", ":", ".", ",", "Z", "+08:00",
                              "9", "99999999", "0", "1", "2026-11-02", "T09:00", "'", "now()", "x", " "])
TIMER_TEXT = st.one_of(st.text(max_size=30), st.lists(ISO_PIECES, max_size=12).map("".join),
                       st.builds(lambda y, d: f"'P{y}Y{d}D'", st.integers(0, 10**12), st.integers(0, 10**6)),
                       st.builds(lambda n, s: f"'R{n}/PT{s}S'", st.integers(0, 10**7), st.integers(0, 10**9)))
COUNTS = {"timer": [0, 0], "xml": [0, 0]}


def _clean_refusal(exc: BaseException) -> bool:
    return isinstance(exc, InvalidDefinition | ExecutionError) and bool(str(exc).strip())


@SETTINGS
@given(kind=st.sampled_from(["timeDuration", "timeDate", "timeCycle"]), text=TIMER_TEXT, data_value=TIMER_TEXT)
def test_any_timer_value_is_run_or_clearly_refused(session, now, kind: str, text: str, data_value: str) -> None:
    COUNTS["timer"][0] += 1
    savepoint = session.begin_nested()
    try:
        if org.find_user(session, "fuzz") is None:
            org.create_user(session, "fuzz")
        definitions.deploy(session, "fuzz", now, [("fuzz_timer.bpmn", timer_process("fuzz_timer", kind, text))])
        instances.start(session, "fuzz", now, "fuzz_timer", {"value": data_value})
    except EngineError as exc:
        assert _clean_refusal(exc) or exc.__class__.__name__ in ("Conflict", "InvalidInput"), repr(exc)
        COUNTS["timer"][1] += 1
    finally:
        savepoint.rollback()
        forget_live_objects(session)  # a rolled-back version's id comes again with other content


def _mutate(document: bytes, cut: int, insert: str) -> bytes:
    position = cut % (len(document) + 1)
    return document[:position] + insert.encode("utf-8", "surrogatepass") + document[position:]


@SETTINGS
@given(cut=st.integers(0, 10**6), insert=st.one_of(
    st.text(max_size=20), st.sampled_from(["<", ">", "</bpmn:process>", '"', "&", "&xxe;", "<!DOCTYPE x [<!ENTITY a 'b'>]>",
                                           "<bpmn:scriptTask id='s'><bpmn:script>import os</bpmn:script></bpmn:scriptTask>",
                                           "<bpmn:timeDuration>P9999Y</bpmn:timeDuration>", "\x00", "id=\"start\""])),
       drop=st.integers(0, 400))
def test_mutated_bpmn_is_deployed_or_refused_with_located_problems(session, now, cut: int, insert: str,
                                                                   drop: int) -> None:
    COUNTS["xml"][0] += 1
    base = script_process("fuzz_xml", "x = 1\ny = x + 1")
    position = cut % len(base)
    document = _mutate(base[:position] + base[position + drop % 40:], cut // 7, insert)
    savepoint = session.begin_nested()
    try:
        definitions.deploy(session, "fuzz", now, [("fuzz.bpmn", document)])
    except InvalidDefinition as exc:
        assert exc.problems and all(p.message for p in exc.problems), repr(exc)
        COUNTS["xml"][1] += 1
    finally:
        savepoint.rollback()
        forget_live_objects(session)  # a rolled-back version's id comes again with other content


def test_zz_fuzz_figures() -> None:
    runs: dict[str, Any] = COUNTS
    if runs["timer"][0] or runs["xml"][0]:
        report(f"engine fuzz: {runs['timer'][0]} timer values ({runs['timer'][1]} clearly refused), "
               f"{runs['xml'][0]} mutated BPMN files ({runs['xml'][1]} refused with located problems); "
               "unexpected exceptions: 0")
