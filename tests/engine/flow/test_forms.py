"""The generic form loader: definitions checked, submissions converted and refused field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.core.errors import InvalidDefinition, InvalidInput
from engine.flow import forms

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "forms"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def review() -> forms.FormDefinition:
    return forms.load_definition(FIXTURES / "sample_review.json")


def _refused(definition: forms.FormDefinition, raw: dict, lang: str = "zh") -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as exc:
        forms.validate_submission(definition, raw, lang)
    assert exc.value.field in exc.value.errors
    return exc.value.errors


def test_html_strings_become_typed_case_data(review: forms.FormDefinition) -> None:
    clean = forms.validate_submission(review, {
        "decision": "approve", "reason": "", "phone": " 13800138000 ", "amount": "3", "start": "2026-11-02",
        "topics": ["a", "c"], "depts": "fgw, scjg", "files": ["4", "7"], "opinion": "同意"})
    assert clean == {"decision": "approve", "phone": "13800138000", "amount": 3, "start": "2026-11-02",
                     "topics": ["a", "c"], "depts": ["fgw", "scjg"], "files": [4, 7], "opinion": "同意"}
    json.dumps(clean)  # case variables must be JSON
    assert forms.opinion_field(review) == "opinion"
    assert forms.references(review, clean) == {"user": [], "department": ["fgw", "scjg"], "file": [4, 7]}


def test_optional_multi_picks_left_empty_are_empty_lists(review: forms.FormDefinition) -> None:
    """A gateway testing `not depts` or a loop over it needs the name; a redraft must clear the old pick."""
    clean = forms.validate_submission(review, {"decision": "approve", "topics": "", "files": []})
    assert clean["topics"] == [] and clean["depts"] == [] and clean["files"] == []
    assert "phone" not in clean and "amount" not in clean, "an empty single value stays absent"


def test_required_and_required_if_name_the_field_in_both_languages(review: forms.FormDefinition) -> None:
    assert _refused(review, {})["decision"] == ["「审核结果」为必填项"]
    assert _refused(review, {}, "en")["decision"] == ["Result is required"]
    assert _refused(review, {"decision": "reject"})["reason"] == ["「理由」为必填项"]
    assert forms.validate_submission(review, {"decision": "reject", "reason": "材料不全"})["reason"] == "材料不全"


@pytest.mark.parametrize(("raw", "field", "text"), [
    ({"decision": "maybe"}, "decision", "可选范围"),
    ({"phone": "12345"}, "phone", "请填写手机号"),
    ({"amount": "abc"}, "amount", "整数"),
    ({"amount": "31"}, "amount", "1 到 30"),
    ({"start": "2026-13-01"}, "start", "日期"),
    ({"start": "2025-12-31"}, "start", "2026-01-01"),
    ({"topics": ["a", "b", "c"]}, "topics", "0 到 2"),
    ({"topics": ["z"]}, "topics", "可选范围"),
    ({"files": ["1", "2", "3"]}, "files", "最多 2"),
    ({"title": "改标题"}, "title", "只读"),
    ({"sneaky": "1"}, "sneaky", "没有"),
])
def test_every_rule_refuses_with_a_message_for_its_field(review: forms.FormDefinition, raw: dict, field: str,
                                                         text: str) -> None:
    errors = _refused(review, {"decision": "approve", **raw})
    assert any(text in m for m in errors[field]), errors


def test_read_only_display_of_earlier_data(review: forms.FormDefinition) -> None:
    assert forms.display_values(review, {"title": "关于…的通知", "days": 3}) == [("title", "关于…的通知"), ("天数", 3)]
    assert forms.display_values(review, {"days": 3}, "en")[1] == ("Days", 3)


@pytest.mark.parametrize(("change", "message"), [
    ({"type": "colour"}, "unknown type"),
    ({"name": "class"}, "keyword"),
    ({"label": {"en": "only English"}}, "label.zh"),
    ({"pattern": "([a-"}, "regular expression"),
    ({"required_if": {"ghost": 1}}, "unknown field 'ghost'"),
])
def test_bad_definitions_are_refused_precisely(change: dict, message: str) -> None:
    raw = json.loads((FIXTURES / "sample_review.json").read_text())
    raw["fields"][1].update(change)
    with pytest.raises(InvalidDefinition) as exc:
        forms.load_definition(raw)
    assert any(message in p.message for p in exc.value.problems)


def test_a_folder_with_two_broken_files_reports_both(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text('{"key": "other", "title": {"zh": "甲"}, "fields": []}')
    (tmp_path / "two.json").write_text("{not json")
    with pytest.raises(InvalidDefinition) as exc:
        forms.load_directory(tmp_path)
    assert {p.file for p in exc.value.problems} == {"one.json", "two.json"}


def test_find_form_ignores_odd_keys_and_missing_files() -> None:
    assert forms.find_form(FIXTURES, "../../etc/passwd") is None
    assert forms.find_form(FIXTURES, "absent") is None
    assert forms.find_form(FIXTURES, "sample_review").key == "sample_review"


def test_every_shipped_form_loads() -> None:
    found = forms.load_directory(ROOT / "forms")
    assert all(key == definition.key for key, definition in found.items())
