"""Every corpus file deploys or is refused exactly as its MANIFEST verdict says, with a usable reason."""

from __future__ import annotations

import re

import pytest
from conftest import CONFORMANCE_DIR

from engine.core.errors import InvalidDefinition
from engine.core.problems import ERROR, Problem
from engine.flow import definitions
from engine.ops.conformance import find_files

from .expectations import DEPLOYED, EXPECTATIONS, REFUSED, matches

MANIFEST = CONFORMANCE_DIR / "MANIFEST.md"


def manifest_verdicts() -> dict[str, str]:
    text = MANIFEST.read_text(encoding="utf-8")
    found = {}
    for block in re.split(r"\n### `", text)[1:]:
        name = block.split("`", 1)[0]
        verdict = re.search(r"\*\*Executable start-to-end:\*\* (.*)", block)
        assert verdict, f"MANIFEST entry {name} has no verdict"
        found[name] = verdict.group(1).strip()
    return found


def corpus_files() -> list[str]:
    return [str(p.relative_to(CONFORMANCE_DIR)) for p in find_files(CONFORMANCE_DIR)]


def describe(problems: list[Problem]) -> str:
    return "\n".join(p.format() for p in problems)


def test_every_file_has_exactly_one_expectation() -> None:
    files = set(corpus_files())
    assert len(files) == 76
    assert sorted(files - set(EXPECTATIONS)) == [], "corpus files without an expectation"
    assert sorted(set(EXPECTATIONS) - files) == [], "expectations without a corpus file"


def test_expectations_follow_the_manifest_verdicts() -> None:
    verdicts = manifest_verdicts()
    assert set(verdicts) == set(EXPECTATIONS)
    for name, expect in EXPECTATIONS.items():
        verdict = verdicts[name]
        assert verdict.startswith(expect.verdict), f"{name}: table says {expect.verdict!r}, MANIFEST {verdict!r}"
        if verdict.startswith("Yes"):
            assert expect.outcome == DEPLOYED, f"{name} is runnable per MANIFEST ({verdict}) and must deploy"
        if re.match(r"No \(", verdict) and expect.outcome != REFUSED:
            assert expect.why, f"{name} is diagram-only/invalid per MANIFEST: a deployment must say why it runs"
        if expect.outcome == REFUSED:
            assert expect.reason, f"{name}: a refusal must say what its reason mentions"
        else:
            assert expect.processes, f"{name}: a deployment must name its process ids"


def error_text(problem: Problem) -> str:
    return f"{problem.code} {problem.message} {problem.element_id or ''}"


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_deploys_or_is_refused_as_expected(session, now, name: str) -> None:
    expect = EXPECTATIONS[name]
    batch = [(f, (CONFORMANCE_DIR / f).read_bytes()) for f in (*expect.load_with, name)]
    if expect.outcome == REFUSED:
        with pytest.raises(InvalidDefinition) as info:
            definitions.deploy(session, "designer", now, batch)
        errors = [p for p in info.value.problems if p.severity == ERROR]
        assert errors, "a refusal must carry at least one error"
        assert all(p.message.strip() for p in errors)
        assert all(p.file == name for p in errors), describe(errors)
        for wanted in expect.reason:
            assert any(matches(wanted, error_text(p)) for p in errors), \
                f"no error mentions {wanted!r}:\n{describe(errors)}"
        assert str(info.value).startswith("cannot deploy:")
    else:
        try:
            result = definitions.deploy(session, "designer", now, batch)
        except InvalidDefinition as exc:
            pytest.fail(f"{name} must deploy ({expect.verdict}) but was refused:\n{describe(exc.problems)}")
        ids = sorted(p.process_id for p in result.processes if p.filename == name)
        assert ids == sorted(expect.processes)
        for process_id in expect.processes:
            assert definitions.get_version(session, process_id).version == 1


# A word of a MANIFEST verdict's reason -> the error codes that name that cause.
MANIFEST_CAUSES = {
    "diagram": {"no-executable-process"}, "isExecutable": {"no-executable-process"},
    "malformed": {"not-well-formed"}, "invalid": {"duplicate-id", "dangling-reference"},
    "compensation": {"compensation"}, "DMN": {"business-rule-without-decision", "unknown-decision"},
    "C#": {"untranslatable-expression"}, "services": {"untranslatable-expression"},
    "message starts": {"dangling-reference"},
}
# Causes govflow no longer refuses (unconditioned flows count as true); such a file must name its real one.
HANDLED = ("conditions", "cron")
DEFECTS = {"empty-timer", "no-start-event", "dangling-reference", "io-name-mismatch", "event-definition-ref"}


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTATIONS.items() if e.outcome == REFUSED))
def test_every_refusal_names_the_manifest_reason_or_a_real_defect(session, now, name: str) -> None:
    verdict = manifest_verdicts()[name]
    reason = verdict[verdict.find("("):] if "(" in verdict else verdict
    expect = EXPECTATIONS[name]
    batch = [(f, (CONFORMANCE_DIR / f).read_bytes()) for f in (*expect.load_with, name)]
    with pytest.raises(InvalidDefinition) as info:
        definitions.deploy(session, "designer", now, batch)
    codes = {p.code for p in info.value.problems if p.severity == ERROR}
    causes = set().union(*(c for word, c in MANIFEST_CAUSES.items() if word.lower() in reason.lower()))
    if causes & codes:
        return
    assert any(word in reason for word in HANDLED) or not causes, f"{name}: MANIFEST says {reason}, errors {codes}"
    assert expect.why and codes & DEFECTS, f"{name}: MANIFEST says {reason}; the refusal must name the real defect"
