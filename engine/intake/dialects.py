"""Vendor dialects: JUEL/FEEL/XPath expressions, bare ISO timers and vendor multi-instance -> what
SpiffWorkflow runs (Python expressions in the sandbox). The uploaded file is stored unedited; only the
in-memory tree handed to the parser is adapted, and every adaptation is reported as a warning."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lxml import etree

from engine.core.clock import CHINA_TZ
from engine.core.limits import timer_limits
from engine.core.problems import ERROR, WARNING, Problem
from engine.intake import cron
from engine.intake.expressions import (
    BPMN_NS,
    EXPRESSION_TAGS,
    TIMER_TAGS,
    UntranslatableExpression,
    located,
    quote_timer,
    timer_defect,
    translate_expression,
)
from engine.intake.flow_rewrites import (
    guard_conditions,
    resolve_event_definition_refs,
    split_conditional_flows,
    unconditioned_gateway_flows,
)
from engine.intake.rewrites import (
    data_objects_by_name,
    fix_data_stores,
    fix_missing_refs,
    fix_vendor_multi_instance,
    scripts_as_external,
)


def _bpmn(el: etree._Element, path: str) -> list[etree._Element]:
    return el.xpath(path, namespaces={"bpmn": BPMN_NS})


def normalize(tree: etree._ElementTree, filename: str, names: Mapping[str, str] | None = None) -> list[Problem]:
    """Adapt the tree in place; warnings for each adaptation, errors for what cannot be adapted. `names`:
    variable names with spaces or dots the batch stores under safe names (engine/intake/batch.py)."""
    root = tree.getroot()
    known = dict(names or {})
    language = root.get("expressionLanguage")
    problems = resolve_event_definition_refs(root, filename)
    problems += split_conditional_flows(root, filename)
    problems += unconditioned_gateway_flows(root, filename)
    for tag in EXPRESSION_TAGS:  # all three are yes/no tests, so a lone variable is tested JUEL-style
        for el in _bpmn(root, f"//bpmn:{tag}"):
            _adapt_expression(el, filename, problems, True, known, el.get("language") or language)
    for el in _bpmn(root, "//bpmn:loopCardinality"):  # a number of instances, e.g. ${nrOfApprovers}
        _adapt_expression(el, filename, problems, False, known, el.get("language") or language)
    for tag in TIMER_TAGS:
        for el in _bpmn(root, f"//bpmn:{tag}"):
            _adapt_timer(el, filename, problems, known)
    problems += fix_vendor_multi_instance(root, filename)
    problems += fix_missing_refs(root, filename)
    problems += fix_data_stores(root, filename)
    problems += scripts_as_external(root, filename)
    problems += data_objects_by_name(root, filename)
    guard_conditions(root)
    return problems


def _adapt_expression(el: etree._Element, filename: str, problems: list[Problem], boolean: bool = True,
                      names: Mapping[str, str] | None = None, language: str | None = None) -> None:
    text = (el.text or "").strip()
    if not text:
        return
    try:
        translated = translate_expression(text, boolean, names, language)
    except UntranslatableExpression as exc:
        problems.append(located(ERROR, "untranslatable-expression", str(exc), filename, el))
        return
    if translated != text:
        el.text = translated
        problems.append(located(WARNING, "adapted-expression", f"expression '{text}' runs as '{translated}'",
                                filename, el))


def _adapt_timer(el: etree._Element, filename: str, problems: list[Problem],
                 names: Mapping[str, str] | None = None) -> None:
    text = (el.text or "").strip()
    if not text:
        return  # lint reports empty timers
    if etree.QName(el).localname == "timeCycle" and cron.looks_like_cron(text) and timer_defect(text, "timeCycle") is None:
        _adapt_cron(el, text, filename, problems)
        return
    quoted = quote_timer(text)
    if quoted is not None:
        el.text = quoted
        problems.append(located(WARNING, "adapted-timer", f"timer '{text}' read as the ISO 8601 value {quoted}",
                                filename, el))
        return
    if timer_defect(text, etree.QName(el).localname) is None:  # defects are lint's to report, once
        _adapt_expression(el, filename, problems, False, names)


def _adapt_cron(el: etree._Element, text: str, filename: str, problems: list[Problem]) -> None:
    """A cron cycle runs through APScheduler's CronTrigger (engine/bpmn/cron.py), at most once a minute."""
    canonical = cron.to_fields(text)
    el.text = repr(canonical)
    gap = cron.shortest_gap(text, datetime(2026, 1, 5, tzinfo=CHINA_TZ))
    floor = timer_limits().min_interval
    bounded = gap is not None and gap < floor
    problems.append(located(WARNING, "adapted-timer", f"timer '{text}' is a cron expression (China time); it "
                            "runs as " + canonical + (f", and fires at most once every {floor} instead of "
                                                      f"every {gap}" if bounded else ""), filename, el))
