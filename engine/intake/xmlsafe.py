"""Safe parsing of untrusted BPMN uploads: no DTDs, no entities, no network, bounded size.

Two locks on the same door: the prolog is scanned for a DOCTYPE before lxml sees the bytes (so a
billion-laughs or XXE file is refused without being parsed at all), and the parser itself is built with
entity resolution, DTD loading and network access off, in case a DOCTYPE hides in an encoding the scan
cannot read; the parsed tree is then refused if it carries a DOCTYPE anyway.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from engine.core.errors import InvalidDefinition
from engine.core.problems import ERROR, Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DEFAULT_MAX_BYTES = 5_000_000
DOCTYPE_MESSAGE = ("DOCTYPE declarations are not allowed in BPMN files (their ENTITY declarations can read "
                   "server files or expand without limit); export the diagram again without a DOCTYPE")
_PROLOG = re.compile(r"\A\ufeff?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_DOCTYPE = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def safe_parser() -> etree.XMLParser:
    """An lxml parser that never resolves entities, loads DTDs, goes online or builds huge trees."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False, remove_comments=False)


def _refuse(filename: str, code: str, message: str, line: int | None = None) -> InvalidDefinition:
    where = f"{filename}:{line}" if line else filename
    return InvalidDefinition(f"{where}: {message}", [Problem(ERROR, code, message, filename, line)])


def _as_text(data: bytes) -> str:
    """The bytes as text for scanning only: BOM or NUL pattern picks UTF-16/32, else an ASCII superset."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    if data[:2] == b"<\x00":
        return data.decode("utf-16-le", errors="replace")
    if data[:2] == b"\x00<":
        return data.decode("utf-16-be", errors="replace")
    return data.decode("latin-1")  # every byte maps; '<!DOCTYPE' reads the same in UTF-8, GBK, Latin-1...


def doctype_line(data: bytes) -> int | None:
    """Line of a DOCTYPE/ENTITY declaration in the prolog (the only place XML allows one), else None."""
    text = _as_text(data)
    start = _PROLOG.match(text)
    position = start.end() if start else 0
    if _DOCTYPE.match(text, position):
        return text.count("\n", 0, position) + 1
    return None


DMN_NAMESPACES = ("http://www.omg.org/spec/DMN/20151101/dmn.xsd", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20191111/MODEL/")


def parse_bpmn(data: bytes, filename: str, max_bytes: int = DEFAULT_MAX_BYTES,
               dmn: bool = False) -> etree._ElementTree:
    """Parse bytes into a tree, or raise InvalidDefinition saying exactly what is wrong and where;
    with `dmn`, a DMN 1.1-1.3 <definitions> is accepted as well."""
    if not data or not data.strip():
        raise _refuse(filename, "empty-file", "the file is empty; upload a BPMN 2.0 XML file")
    if len(data) > max_bytes:
        raise _refuse(filename, "too-large", f"the file is {len(data)} bytes; the limit is {max_bytes} bytes")
    line = doctype_line(data)
    if line is not None:
        raise _refuse(filename, "doctype-forbidden", DOCTYPE_MESSAGE, line)
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise _refuse(filename, "not-well-formed", f"the XML is not well-formed: {exc.msg}",
                      exc.lineno or None) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
        raise _refuse(filename, "doctype-forbidden", DOCTYPE_MESSAGE, 1)
    _check_root(root, filename, dmn)
    return tree


def _check_root(root: etree._Element, filename: str, dmn: bool = False) -> None:
    """A BPMN file's root is <definitions> in the BPMN 2.0 model namespace; say what was found."""
    if root.tag == f"{{{BPMN_NS}}}definitions":
        return
    if dmn and etree.QName(root).localname == "definitions" and etree.QName(root).namespace in DMN_NAMESPACES:
        return
    qname = etree.QName(root)
    found = f"<{qname.localname}>" + (f" in namespace {qname.namespace}" if qname.namespace else
                                        " without a namespace")
    raise _refuse(filename, "not-bpmn", f"the root element is {found}; a BPMN 2.0 file starts with "
                  f"<definitions> in namespace {BPMN_NS}", root.sourceline)
