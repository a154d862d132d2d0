"""The designer's check page on files from other tools: previews, forms and name mappings."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import CONFORMANCE_DIR

needs_corpus = pytest.mark.skipif(not CONFORMANCE_DIR.is_dir(), reason="conformance corpus not present")


def check(client: Any, *files: tuple[bytes, str]) -> tuple[int, str]:
    response = client.post("/designer/check", data={"files": [(BytesIO(data), name) for data, name in files]},
                           content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


@needs_corpus
def test_a_diagram_only_file_is_refused_but_still_previewed(app: Flask, as_user: Any) -> None:
    data = (CONFORMANCE_DIR / "miwg" / "A.1.0_reference.bpmn").read_bytes()
    status, page = check(as_user("designer"), (data, "A.1.0.bpmn"))
    assert status == 400 and "no executable process" in page
    assert page.count("<svg") == 1 and "仅为图示" in page and 'data-element-id="' in page


EXTRA = Path(__file__).resolve().parents[2] / "conformance" / "extra"


def extra(name: str) -> tuple[bytes, str]:
    return (EXTRA / name).read_bytes(), name


def test_the_check_page_shows_each_tasks_form_and_the_renamed_ids(app: Flask, as_user: Any) -> None:
    status, page = check(as_user("designer"), extra("camunda_form_data.bpmn"), extra("leave_rules.dmn"),
                         extra("leave_with_decisions.bpmn"))
    assert status == 200, page[-2000:]
    rows = re.findall(r'<tr data-task="([^"]+)">(.*?)</tr>', page, re.DOTALL)
    by_task = {task: re.sub(r"<[^>]+>", " ", body) for task, body in rows}
    assert "Camunda 表单字段" in by_task["apply"] and "申请人姓名*" in by_task["apply"]
    assert "applicant name" in by_task["apply"] and "applicant_name" in by_task["apply"]
    assert "trip.days" in by_task["apply"] and "trip_days" in by_task["apply"]
    assert "通用表单" in by_task["approve"] and "days" in by_task["approve"]
    assert "allowance" not in by_task["approve"], "a decision computes it: nobody is asked for it"
    assert "Who approves" in page and "COLLECT" in page and "RULE ORDER" in page
