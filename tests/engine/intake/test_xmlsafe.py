"""Uploaded BPMN is untrusted: bombs, external entities and junk are refused with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from engine.core.errors import InvalidDefinition
from engine.intake.xmlsafe import doctype_line, parse_bpmn, safe_parser

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "conformance"

GOOD = b"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>
</bpmn:definitions>"""

_LEVELS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 31))
BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY l0 "lol">{_LEVELS}]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><x>&l30;</x></bpmn:definitions>
""".encode()  # 10**30 copies of "lol": refusing it at all proves nothing was expanded

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
def test_entities_and_dtds_refused_before_parsing(payload: bytes) -> None:
    code, line, message = _problem(payload)
    assert code == "doctype-forbidden" and line == 2
    assert "root:" not in message and "DOCTYPE declarations are not allowed in BPMN files" in message
    assert doctype_line(payload) == 2  # found by the prolog scan: lxml never saw these bytes


def _xxe(target: Path, encoding: str = "utf-8") -> bytes:
    text = (f'<?xml version="1.0" encoding="{encoding}"?>\n'
            f'<!DOCTYPE d [<!ENTITY secret SYSTEM "{target.as_uri()}">]>\n'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
            "<bpmn:documentation>&secret;</bpmn:documentation></bpmn:definitions>")
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "utf-16-be"])
def test_xxe_never_reads_the_file_in_any_encoding(tmp_path: Path, encoding: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    with pytest.raises(InvalidDefinition) as caught:
        parse_bpmn(_xxe(secret, encoding), "upload.bpmn")
    assert [p.code for p in caught.value.problems] == ["doctype-forbidden"]
    assert "TOP-SECRET" not in str(caught.value) + repr(caught.value.problems)


def test_the_parser_itself_resolves_no_entity(tmp_path: Path) -> None:
    """Second lock: even bytes that slipped past the scan keep their entities unresolved."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    root = etree.fromstring(_xxe(secret), safe_parser())
    assert "TOP-SECRET" not in etree.tostring(root, encoding="unicode")
    assert root.getroottree().docinfo.doctype  # and parse_bpmn refuses such a tree (see below)


def test_a_doctype_the_scan_cannot_see_is_still_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("engine.intake.xmlsafe.doctype_line", lambda data: None)
    assert _problem(_xxe(tmp_path / "any.txt"))[0] == "doctype-forbidden"
    for payload in (XXE, BILLION_LAUGHS, EXTERNAL_DTD):  # refused, whichever lock catches it
        assert _problem(payload)[0] in ("doctype-forbidden", "not-well-formed")


def test_doctype_text_in_comments_and_cdata_is_not_a_doctype() -> None:
    data = b"""<?xml version="1.0"?>
<!-- exported by a tool; <!DOCTYPE x> in a comment is harmless -->
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:documentation><![CDATA[<!DOCTYPE html><p>help</p>]]></bpmn:documentation>
</bpmn:definitions>"""
    assert parse_bpmn(data, "ok.bpmn").getroot().get("id") == "d"


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


def test_parse_errors_carry_the_file_name_in_the_exception_message() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        parse_bpmn(b"<bpmn:definitions", "upload.bpmn")
    assert str(caught.value).startswith("upload.bpmn")


def _corpus() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "MANIFEST.md")


@pytest.mark.skipif(not _corpus(), reason="conformance corpus not found next to the project")
def test_every_corpus_file_is_parsed_or_refused_with_a_problem() -> None:
    refused = {}
    for path in _corpus():
        name = str(path.relative_to(CORPUS))
        try:
            tree = parse_bpmn(path.read_bytes(), name)
        except InvalidDefinition as exc:
            (problem,) = exc.problems
            assert problem.file == name and problem.severity == "error"
            refused[name] = (problem.code, problem.line)
            continue
        assert tree.getroot().sourceline is not None
    assert list(refused) == ["bpmn-io/bpmn-js_draw_events.bpmn"]  # the MANIFEST's unbound prefix
    code, line = refused["bpmn-io/bpmn-js_draw_events.bpmn"]
    assert code == "not-well-formed" and line is not None and line > 1
