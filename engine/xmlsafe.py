"""Safe parsing of untrusted BPMN uploads: no DTDs, no entities, no network, bounded size."""

from __future__ import annotations

import re

from lxml import etree

from engine.errors import InvalidDefinition
from engine.problems import ERROR, Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DEFAULT_MAX_BYTES = 5_000_000
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


def _refuse(filename: str, code: str, message: str, line: int | None = None) -> InvalidDefinition:
    problem = Problem(ERROR, code, message, filename, line)
    return InvalidDefinition(f"{filename}: {message}", [problem])


def parse_bpmn(data: bytes, filename: str, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._ElementTree:
    """Parse bytes into a tree, or raise InvalidDefinition saying exactly what is wrong and where."""
    if not data or not data.strip():
        raise _refuse(filename, "empty-file", "the file is empty; upload a BPMN 2.0 XML file")
    if len(data) > max_bytes:
        raise _refuse(filename, "too-large", f"the file is {len(data)} bytes; the limit is {max_bytes} bytes")
    found = _DOCTYPE.search(data)
    if found:
        line = data.count(b"\n", 0, found.start()) + 1
        raise _refuse(filename, "doctype-forbidden",
                      "DOCTYPE and ENTITY declarations are not allowed in BPMN files (they can read "
                      "server files or expand without limit); export the diagram again without them", line)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _refuse(filename, "not-well-formed", f"the XML is not well-formed: {exc.msg}",
                      exc.lineno or None) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise _refuse(filename, "doctype-forbidden", "DOCTYPE declarations are not allowed in BPMN files")
    expected = f"{{{BPMN_NS}}}definitions"
    if root.tag != expected:
        found_tag = etree.QName(root).localname if isinstance(root.tag, str) else str(root.tag)
        ns = etree.QName(root).namespace if isinstance(root.tag, str) else None
        raise _refuse(filename, "not-bpmn",
                      f"the root element is <{found_tag}>" + (f" in namespace {ns}" if ns else " without namespace")
                      + f"; a BPMN 2.0 file starts with <definitions> in namespace {BPMN_NS}",
                      root.sourceline)
    return tree
