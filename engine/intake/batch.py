"""An upload as a whole: BPMN files with the DMN decisions and form files they use, checked together.

Files are told apart by content, not name: a DMN 1.1-1.3 <definitions> is a decision file, anything
else XML must be BPMN. Names the batch gives values under (decision outputs and form fields with
spaces or dots) are collected from every file first, so a condition in one file can test an output of
another. The result keeps each file's adapted tree and every located problem."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree

from engine.core.errors import InvalidDefinition
from engine.core.problems import ERROR, Problem
from engine.intake import dmn, rewrites, task_forms
from engine.intake.dialects import normalize
from engine.intake.expressions import BPMN_NS
from engine.intake.lint import executable_process_ids, lint, why_nothing_runs
from engine.intake.xmlsafe import DEFAULT_MAX_BYTES, parse_bpmn


@dataclass
class Batch:
    """The checked upload: adapted BPMN and DMN trees, the batch's safe names, every problem."""

    bpmn: dict[str, etree._ElementTree] = field(default_factory=dict)
    dmn: dict[str, etree._ElementTree] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)  # JSON form files (form-js, JSON schema)
    forms: dict[str, dict[str, task_forms.FormPlan]] = field(default_factory=dict)  # file -> task -> form
    names: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def decisions(self) -> set[str]:
        return {ident for tree in self.dmn.values() for ident in dmn.decisions(tree)}


def check(files: list[tuple[str, bytes]]) -> Batch:
    """Parse safely, adapt vendor dialects and lint every file, then what the files need of each other."""
    batch = Batch()
    for filename, data in files:
        if data.lstrip()[:1] in (b"{", b"["):
            _document(batch, filename, data)
            continue
        try:
            tree = parse_bpmn(data, filename, dmn=True)
        except InvalidDefinition as exc:
            batch.problems.extend(exc.problems or [Problem(ERROR, "unreadable", str(exc), filename)])
            continue
        (batch.dmn if dmn.is_dmn(tree) else batch.bpmn)[filename] = tree
    for tree in batch.dmn.values():
        batch.names.update(dmn.output_names(tree))
    for filename, tree in batch.bpmn.items():  # task inputs and outputs by name, before expressions are read
        found, renamed = rewrites.io_by_name(tree.getroot(), filename)
        batch.problems += found
        batch.names.update(renamed)
    for filename, tree in batch.bpmn.items():  # form field ids with spaces, before any expression is read
        for form in task_forms.plan(tree, filename, batch.documents)[0].values():
            batch.names.update(form.renamed)
    for filename, tree in batch.dmn.items():
        batch.problems += dmn.normalize_dmn(tree, filename, batch.names) + dmn.lint_dmn(tree, filename)
    for filename, tree in batch.bpmn.items():
        batch.problems += normalize(tree, filename, batch.names) + lint(tree, filename)
        if not executable_process_ids(tree):
            batch.problems.append(Problem(ERROR, "no-executable-process", why_nothing_runs(tree), filename))
    outputs = {ident: names for tree in batch.dmn.values() for ident, names in dmn.decision_outputs(tree).items()}
    for filename, tree in batch.bpmn.items():
        batch.forms[filename], found = task_forms.plan(tree, filename, batch.documents, outputs)
        batch.problems += found
    batch.problems += dmn.check_decision_refs(batch.bpmn, batch.decisions)
    if files and not batch.bpmn and batch.dmn and not any(p.severity == ERROR for p in batch.problems):
        batch.problems.append(Problem(ERROR, "no-bpmn", "the upload holds decision tables only; upload them "
                                      "together with the BPMN file whose business rule tasks call them",
                                      next(iter(batch.dmn))))
    batch.problems = name_elements(batch.problems, {**batch.bpmn, **batch.dmn})
    return batch


def name_elements(problems: list[Problem], trees: dict[str, etree._ElementTree]) -> list[Problem]:
    """The problems with the name of the element each is at, read from its file (ids are not what a
    designer sees on the canvas). Whitespace in names (line breaks modelers put in labels) is collapsed."""
    names: dict[str, dict[str, str]] = {}
    named = []
    for problem in problems:
        filename = problem.file or ""
        tree = trees.get(filename)
        if problem.element_name or not problem.element_id or tree is None:
            named.append(problem)
            continue
        if filename not in names:
            names[filename] = {
                str(el.get("id")): " ".join(str(el.get("name")).split())
                for el in tree.iter(etree.Element) if el.get("id") and (el.get("name") or "").strip()}
        name = names[filename].get(problem.element_id)
        named.append(replace(problem, element_name=name) if name else problem)
    return named


def _document(batch: Batch, filename: str, data: bytes) -> None:
    """A JSON form file: Camunda Forms (form-js) or a SpiffArena JSON schema / UI schema."""
    if len(data) > DEFAULT_MAX_BYTES:
        batch.problems.append(Problem(ERROR, "too-large", f"the file is {len(data)} bytes; the limit is "
                                      f"{DEFAULT_MAX_BYTES} bytes", filename))
        return
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        batch.problems.append(Problem(ERROR, "not-json", f"the file is not valid JSON ({exc}); a form file "
                                      "is the JSON Camunda Modeler or SpiffArena saves", filename))
        return
    if not isinstance(document, dict):
        batch.problems.append(Problem(ERROR, "not-json", "a form file holds one JSON object", filename))
        return
    batch.documents[filename.rsplit("/", 1)[-1]] = document


def wanted(files: list[tuple[str, bytes]]) -> set[str]:
    """What the upload's BPMN names but does not hold: decision ids and form file names or ids, so a
    caller can look for them beside the files (the CLI does)."""
    checked = check(files)
    refs = {dmn.decision_ref(task) for tree in checked.bpmn.values()
            for task in tree.getroot().iter(f"{{{BPMN_NS}}}businessRuleTask")}
    needs = {ref for ref in refs if ref} - checked.decisions
    needs |= {name for plans in checked.forms.values() for plan in plans.values() for name in plan.missing}
    return needs


def provides(filename: str, data: bytes) -> set[str]:
    """The decision ids, form ids and file name a candidate file would supply."""
    found = {filename.rsplit("/", 1)[-1]}
    candidate = check([(filename, data)])
    found |= candidate.decisions
    found |= {str(doc.get("id")) for doc in candidate.documents.values() if doc.get("id")}
    return found
