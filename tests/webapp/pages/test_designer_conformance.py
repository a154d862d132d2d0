"""The designer's check page on files from other tools: previews, forms and name mappings."""

from __future__ import annotations

from io import BytesIO
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
