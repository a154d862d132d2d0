"""DMN 1.1-1.3 decision tables uploaded beside the BPMN that calls them: what they define, their FEEL
turned into Python for SpiffWorkflow's decision engine (inputs, unary-test cells, outputs), and what
govflow cannot decide (literal-expression decisions, decisions that need other decisions, hit
policies that order by output values) as located problems.

Also the batch-level check: every business rule task names a decision some file of the batch defines
(Camunda's camunda:decisionRef, Spiff's spiffworkflow:calledDecisionId, Camunda 8's zeebe:calledDecision)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

from engine.core.problems import ERROR, Problem
from engine.intake import feel
from engine.intake.expressions import BPMN_NS, VENDOR_NAMESPACES, located
from engine.intake.tree import label, local, runnable
from engine.intake.xmlsafe import DMN_NAMESPACES

HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "COLLECT", "RULE ORDER")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
_TYPES = {"integer": "integer", "long": "integer", "int": "integer", "number": "number", "double": "number",
          "string": "string", "boolean": "boolean", "date": "string"}


def is_dmn(tree: etree._ElementTree) -> bool:
    root = tree.getroot()
    return local(root) == "definitions" and etree.QName(root).namespace in DMN_NAMESPACES


def _dmn(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and local(c) == name]


def decisions(tree: etree._ElementTree) -> dict[str, etree._Element]:
    """Decision elements by id."""
    return {str(d.get("id")): d for d in _dmn(tree.getroot(), "decision") if d.get("id")}


def safe_name(name: str) -> str:
    """A variable name for a label with spaces, dots or dashes ('Vacation Approval' -> Vacation_Approval)."""
    cleaned = re.sub(r"[^\w\u4e00-\u9fff]+", "_", name.strip()).strip("_") or "value"
    return f"v_{cleaned}" if cleaned[0].isdigit() else cleaned


def decision_outputs(tree: etree._ElementTree) -> dict[str, list[str]]:
    """The variables each decision sets when a task takes its outputs by name (after normalize_dmn)."""
    return {ident: [o.get("name") or o.get("label") or "" for t in _dmn(d, "decisionTable") for o in _dmn(t, "output")]
            for ident, d in decisions(tree).items()}


def output_names(tree: etree._ElementTree) -> dict[str, str]:
    """Output names that are no variable names, with the safe names their values get."""
    found = {}
    for decision in decisions(tree).values():
        for table in _dmn(decision, "decisionTable"):
            for output in _dmn(table, "output"):
                name = (output.get("name") or output.get("label") or "").strip()
                if name and not name.isidentifier():
                    found[name] = safe_name(name)
    return found


def normalize_dmn(tree: etree._ElementTree, filename: str, names: Mapping[str, str]) -> list[Problem]:
    """FEEL cells and expressions become Python over the decision's inputs; outputs get safe names."""
    problems: list[Problem] = []
    for note in list(tree.getroot().iter(etree.Comment, etree.ProcessingInstruction)):
        if note.getparent() is not None:  # SpiffWorkflow's table parser reads every child as an element
            note.getparent().remove(note)
    for decision in decisions(tree).values():
        for table in _dmn(decision, "decisionTable"):
            _table(table, filename, names, problems)
    return problems


def _table(table: etree._Element, filename: str, names: Mapping[str, str], problems: list[Problem]) -> None:
    inputs = _dmn(table, "input")
    kinds = []
    for item in inputs:
        expression = next(iter(_dmn(item, "inputExpression")), None)
        text = expression.find(f"{{{etree.QName(table).namespace}}}text") if expression is not None else None
        kinds.append(_TYPES.get((expression.get("typeRef") or "").lower()) if expression is not None else None)
        if text is not None and (text.text or "").strip():
            python = _feel(text.text or "", filename, text, problems, names)
            kind = kinds[-1]
            text.text = f"el_typed({python}, {kind!r})" if kind and python else python
    for output in _dmn(table, "output"):
        name = (output.get("name") or output.get("label") or "").strip()
        if name and not name.isidentifier():
            output.set("name", names.get(name, safe_name(name)))
    for rule in _dmn(table, "rule"):
        for cell in _dmn(rule, "inputEntry"):
            _cell(cell, filename, names, problems, tests=True)
        for cell in _dmn(rule, "outputEntry"):
            _cell(cell, filename, names, problems, tests=False)


def _cell(cell: etree._Element, filename: str, names: Mapping[str, str], problems: list[Problem],
          tests: bool) -> None:
    text = cell.find(f"{{{etree.QName(cell).namespace}}}text")
    raw = (text.text or "").strip() if text is not None else ""
    if text is None:
        return
    try:
        if tests:
            test = feel.unary_tests(raw, names)
            text.text = "-" if test is None else test
        else:
            text.text = feel.to_python(raw, names) if raw else "None"
    except feel.FeelError as exc:
        problems.append(located(ERROR, "untranslatable-expression", f"cell '{raw}' of rule "
                                f"'{cell.getparent().get('id')}': {exc}", filename, cell))


def _feel(text: str, filename: str, el: etree._Element, problems: list[Problem], names: Mapping[str, str]) -> str:
    try:
        return feel.to_python(text.strip(), names)
    except feel.FeelError as exc:
        problems.append(located(ERROR, "untranslatable-expression", f"input '{text.strip()}': {exc}", filename, el))
        return ""


def lint_dmn(tree: etree._ElementTree, filename: str) -> list[Problem]:
    """What govflow's decision engine cannot evaluate."""
    problems: list[Problem] = []
    found = decisions(tree)
    if not found:
        problems.append(Problem(ERROR, "no-decision", "the DMN file defines no decision", filename))
    for decision in found.values():
        tables = _dmn(decision, "decisionTable")
        if not tables:
            problems.append(_at(decision, filename, "decision-kind", f"decision '{label(decision)}' is not a "
                                "decision table (e.g. a literal expression); govflow runs decision tables only"))
        if _dmn(decision, "informationRequirement") and any(
                _dmn(r, "requiredDecision") for r in _dmn(decision, "informationRequirement")):
            problems.append(_at(decision, filename, "decision-requirement", f"decision '{label(decision)}' needs "
                                "another decision's result; govflow evaluates one table per business rule task, "
                                "so call the other decision in a business rule task before it"))
        for table in tables:
            policy = (table.get("hitPolicy") or "UNIQUE").upper()
            aggregation = (table.get("aggregation") or "").upper()
            if policy not in HIT_POLICIES:
                problems.append(_at(table, filename, "hit-policy", f"hit policy {policy} of '{label(decision)}' "
                                    f"is not supported; use one of {', '.join(HIT_POLICIES)}"))
            if aggregation and (policy != "COLLECT" or aggregation not in AGGREGATIONS):
                problems.append(_at(table, filename, "hit-policy", f"aggregation {aggregation} needs hit policy "
                                    f"COLLECT and one of {', '.join(AGGREGATIONS)}"))
    return problems


def _at(el: etree._Element, filename: str, code: str, message: str) -> Problem:
    return Problem(ERROR, code, message, filename, el.sourceline, el.get("id"))


def decision_ref(task: etree._Element) -> str | None:
    """The decision a business rule task calls, whichever modeler wrote it."""
    camunda = task.get(f"{{{VENDOR_NAMESPACES['camunda']}}}decisionRef")
    if camunda:
        return camunda.strip()
    for el in task.iter():
        if not isinstance(el.tag, str):
            continue
        if local(el) == "calledDecisionId" and etree.QName(el).namespace == VENDOR_NAMESPACES["spiffworkflow"]:
            return (el.text or "").strip() or None
        if local(el) == "calledDecision" and etree.QName(el).namespace == VENDOR_NAMESPACES["zeebe"]:
            return (el.get("decisionId") or "").strip() or None
    return None


def check_decision_refs(bpmn: Mapping[str, etree._ElementTree], defined: set[str]) -> list[Problem]:
    """Every business rule task names a decision the batch defines."""
    problems: list[Problem] = []
    for filename, tree in bpmn.items():
        runs = [p for p in tree.getroot().iterfind(f"{{{BPMN_NS}}}process") if runnable(p)]
        for task in (t for p in runs for t in p.iter(f"{{{BPMN_NS}}}businessRuleTask")):
            ref = decision_ref(task)
            if ref is None:
                problems.append(located(ERROR, "business-rule-without-decision", f"business rule task "
                                        f"'{label(task)}' names no decision; choose the DMN decision it calls "
                                        "(Decision reference) in the modeler", filename, task))
            elif ref not in defined:
                known = f" (the upload defines {', '.join(sorted(defined))})" if defined else ""
                problems.append(located(ERROR, "unknown-decision", f"business rule task '{label(task)}' calls "
                                        f"decision '{ref}', which no DMN file of this upload defines{known}; "
                                        "upload the .dmn file together with the BPMN", filename, task))
    return problems
