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


_STEPS = ("task", "subProcess", "transaction", "adHocSubProcess", "callActivity")


def is_step(el: etree._Element) -> bool:
    """A flow node: an event, activity or gateway (not a lane set, annotation, data object or flow)."""
    name = local(el)
    return name in _STEPS or name.endswith(("Event", "Task", "Gateway"))


def has_steps(process: etree._Element) -> bool:
    """Whether the process draws anything that runs; an empty pool (a participant drawn as a black
    box, as Bizagi and Signavio export them) has none."""
    return any(is_step(el) for el in process if isinstance(el.tag, str))


def runnable(process: etree._Element) -> bool:
    return is_executable(process) and has_steps(process)


def in_extensions(el: etree._Element) -> bool:
    """Inside a vendor's extensionElements, where ids are the vendor's business, not BPMN's."""
    return any(local(a) == "extensionElements" for a in el.iterancestors())


def bpmn_ids(root: etree._Element) -> dict[str, etree._Element]:
    """BPMN elements by id, the first of a tolerated duplicate winning, vendor extensions left out."""
    found: dict[str, etree._Element] = {}
    for el in root.iter():
        ident = el.get("id") if isinstance(el.tag, str) else None
        if ident and etree.QName(el).namespace == BPMN_NS and ident not in found and not in_extensions(el):
            found[ident] = el
    return found


def xpath(scope: etree._Element, path: str, **variables: str | None) -> list[etree._Element]:
    return scope.xpath(path, namespaces=NS, **variables)


def process_of(el: etree._Element) -> etree._Element | None:
    return next(el.iterancestors(f"{{{BPMN_NS}}}process"), None)
