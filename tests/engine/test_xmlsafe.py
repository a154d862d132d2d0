"""Uploaded BPMN is untrusted: bombs, external entities and junk are refused with file and line."""

from __future__ import annotations

import time

import pytest

from engine.errors import InvalidDefinition
from engine.xmlsafe import parse_bpmn

GOOD = b"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>
</bpmn:definitions>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><x>&lol9;</x></bpmn:definitions>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="p" name="&secret;"/></bpmn:definitions>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE definitions SYSTEM "http://127.0.0.1:9/evil.dtd">
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>"""


def _problem(data: bytes, **kwargs: int) -> tuple[str, int | None, str]:
    with pytest.raises(InvalidDefinition) as caught:
        parse_bpmn(data, "upload.bpmn", **kwargs)
    problem = caught.value.problems[0]
    assert problem.file == "upload.bpmn" and problem.severity == "error"
    return problem.code, problem.line, problem.message


def test_good_file_keeps_line_numbers() -> None:
    tree = parse_bpmn(GOOD, "ok.bpmn")
    start = tree.getroot().find(".//{http://www.omg.org/spec/BPMN/20100524/MODEL}startEvent")
    assert start is not None and start.sourceline == 3


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE, EXTERNAL_DTD])
def test_entities_and_dtds_refused_quickly(payload: bytes) -> None:
    began = time.process_time()
    code, line, message = _problem(payload)
    assert code == "doctype-forbidden" and line == 2
    assert "root:" not in message and "DOCTYPE" in message
    assert time.process_time() - began < 1.0  # refused before any expansion happens


def test_oversized_refused() -> None:
    code, _, message = _problem(GOOD + b" " * 2000, max_bytes=1000)
    assert code == "too-large" and "limit is 1000" in message


def test_malformed_reports_line() -> None:
    broken = b'<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">\n' \
             b'<bpmn:process id="p">\n<foo:task id="t"/>\n</bpmn:process></bpmn:definitions>'
    code, line, message = _problem(broken)
    assert code == "not-well-formed" and line == 4 and "foo" in message


def test_wrong_root_and_empty() -> None:
    code, line, message = _problem(b"<html><body/></html>")
    assert code == "not-bpmn" and line == 1 and "<html>" in message
    assert _problem(b"  \n")[0] == "empty-file"
