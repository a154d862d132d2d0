"""Reading a BPMN tree: the namespace map, an element's local name and label, XPath in the BPMN
namespace, whether a process runs, which process an element belongs to."""

from __future__ import annotations

from lxml import etree

from engine.intake.expressions import BPMN_NS

NS = {"bpmn": BPMN_NS}


def local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def label(el: etree._Element) -> str:
    """What a designer calls the element: its name, else its id, else its kind."""
    return el.get("name") or el.get("id") or local(el)


def is_executable(process: etree._Element) -> bool:
    return (process.get("isExecutable") or "true").strip().lower() != "false"


def xpath(scope: etree._Element, path: str, **variables: str | None) -> list[etree._Element]:
    return scope.xpath(path, namespaces=NS, **variables)


def process_of(el: etree._Element) -> etree._Element | None:
    return next(el.iterancestors(f"{{{BPMN_NS}}}process"), None)
