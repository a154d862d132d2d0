"""BPMN diagrams drawn as SVG on the server from their diagram-interchange data, coloured by state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from engine.core.errors import InvalidInput
from engine.intake import xmlsafe

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}
COLOURS = {  # state -> (fill, stroke)
    "done": ("#e3f1e3", "#4a8a4a"), "active": ("#dbe9fb", "#1f5fbf"), "warned": ("#fff3c4", "#c99a00"),
    "overdue": ("#fbdada", "#c62828"), "cancelled": ("#eeeeee", "#9e9e9e"), None: ("#ffffff", "#444444"),
}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway": "×", "parallelGateway": "+", "inclusiveGateway": "○", "eventBasedGateway": "⬠",
            "complexGateway": "✱"}
TASK_MARKS = {"serviceTask": "⚙", "scriptTask": "✎", "sendTask": "✉", "receiveTask": "✉",
              "manualTask": "✋", "businessRuleTask": "▦"}
EVENT_MARKS = {"timerEventDefinition": "⏱", "messageEventDefinition": "✉", "signalEventDefinition": "△",
               "errorEventDefinition": "ϟ", "escalationEventDefinition": "⇑", "conditionalEventDefinition": "≡",
               "terminateEventDefinition": "●", "linkEventDefinition": "→", "compensateEventDefinition": "«"}


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _bounds(shape: etree._Element) -> Box | None:
    b = shape.find("dc:Bounds", NS)
    if b is None:
        return None
    try:
        return Box(float(b.get("x", 0)), float(b.get("y", 0)), float(b.get("width", 0)), float(b.get("height", 0)))
    except ValueError:
        return None


def _plane_for(root: etree._Element, process_id: str | None) -> etree._Element:
    """The plane drawing the process itself or the collaboration that holds it."""
    planes = root.findall("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    if not planes:
        raise InvalidInput("this file has no diagram data (BPMNDiagram); draw it in a modeler to see it here",
                           field="diagram")
    if process_id is None:
        return planes[0]
    wanted = {process_id}
    for collab in root.findall("bpmn:collaboration", NS):
        if any(p.get("processRef") == process_id for p in collab.findall("bpmn:participant", NS)):
            wanted.add(str(collab.get("id")))
    for plane in planes:
        if plane.get("bpmnElement") in wanted:
            return plane
    raise InvalidInput(f"the file has no diagram of process '{process_id}'", field="diagram")


def drawn_diagrams(xml: bytes | etree._ElementTree) -> list[tuple[str, str]]:
    """(element id, title) of every diagram a file draws, executable or not: what a preview shows."""
    root = _tree(xml).getroot()
    titles = {str(el.get("id")): el.get("name") or str(el.get("id")) for el in root
              if isinstance(el.tag, str) and _local(el) in ("process", "collaboration")}
    found = []
    for plane in root.findall("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS):
        ident = plane.get("bpmnElement")
        if ident and plane.find("bpmndi:BPMNShape", NS) is not None:
            found.append((ident, titles.get(ident, ident)))
    return found


def element_names(xml: bytes | etree._ElementTree, process_id: str | None = None) -> dict[str, str]:
    tree = _tree(xml)
    return {str(el.get("id")): el.get("name") or "" for el in tree.getroot().iter()
            if isinstance(el.tag, str) and el.get("id") and etree.QName(el).namespace == NS["bpmn"]}


def _tree(xml: bytes | etree._ElementTree) -> etree._ElementTree:
    return xmlsafe.parse_bpmn(xml, "diagram.bpmn") if isinstance(xml, bytes) else xml


def render_svg(xml: bytes | etree._ElementTree, process_id: str | None = None,
               states: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None) -> str:
    """One self-contained <svg> element; every shape carries data-element-id and a state class."""
    root = _tree(xml).getroot()
    plane = _plane_for(root, process_id)
    elements = {str(el.get("id")): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    states = states or {}
    labels = labels or {}
    shapes, edges, boxes = [], [], []
    for shape in plane.findall("bpmndi:BPMNShape", NS):
        box = _bounds(shape)
        el = elements.get(str(shape.get("bpmnElement")))
        if box is None or el is None:
            continue
        boxes.append(box)
        label = shape.find("bpmndi:BPMNLabel", NS)
        label_box = _bounds(label) if label is not None else None
        shapes.append((_local(el), el, box, label_box, shape.get("isExpanded") == "true"))
    for edge in plane.findall("bpmndi:BPMNEdge", NS):
        points = [(float(p.get("x", 0)), float(p.get("y", 0))) for p in edge.findall("di:waypoint", NS)]
        el = elements.get(str(edge.get("bpmnElement")))
        if len(points) >= 2 and el is not None:
            edges.append((el, points, edge))
            boxes.extend(Box(x, y, 0, 0) for x, y in points)
    if not boxes:
        raise InvalidInput("the diagram has no shapes to draw", field="diagram")
    title = next((el.get("name") for el in elements.values() if _local(el) == "process"
                  and (process_id is None or el.get("id") == process_id) and el.get("name")), None)
    out = [_header(boxes, title or "BPMN")]  # what a screen reader says of the drawing
    order = {"participant": 0, "lane": 1}
    for kind, el, box, label_box, _expanded in sorted(shapes, key=lambda s: order.get(s[0], 2)):
        ident = str(el.get("id"))
        name = labels.get(ident, el.get("name") or "")
        out.append(_shape(kind, el, box, label_box, name, ident, states.get(ident)))
    for el, points, edge in edges:
        ident = str(el.get("id"))
        out.append(_edge(el, points, edge, labels.get(ident, el.get("name") or ""), ident, states.get(ident)))
    out.append("</svg>")
    return "".join(out)


def _header(boxes: list[Box], name: str) -> str:
    left = min(b.x for b in boxes) - 20
    top = min(b.y for b in boxes) - 20
    right = max(b.x + b.w for b in boxes) + 20
    bottom = max(b.y + b.h for b in boxes) + 40
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram" role="img" aria-label={quoteattr(name)} '
            f'viewBox="{left:g} {top:g} {right - left:g} {bottom - top:g}" width="{right - left:g}" '
            f'height="{bottom - top:g}" font-family="Noto Sans CJK SC, Microsoft YaHei, sans-serif" font-size="12">'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" '
            'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker>'
            '<marker id="open-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
            'orient="auto"><path d="M0,0 L10,5 L0,10" fill="none" stroke="#444"/></marker></defs>')


def _group(ident: str, state: str | None, name: str, body: str, kind: str) -> str:
    css = f"bpmn-{kind}" + (f" state-{state}" if state else "")
    title = f"<title>{escape(name)}</title>" if name else ""  # an unnamed element gets no tooltip, not its id
    return f"<g class={quoteattr(css)} data-element-id={quoteattr(ident)}>{title}{body}</g>"


def _shape(kind: str, el: etree._Element, box: Box, label_box: Box | None, name: str, ident: str,
           state: str | None) -> str:
    fill, stroke = COLOURS.get(state, COLOURS[None])
    if kind in ("participant", "lane"):
        body = (f'<rect x="{box.x:g}" y="{box.y:g}" width="{box.w:g}" height="{box.h:g}" fill="none" '
                f'stroke="#777"/>' + _vertical_label(box, name))
        return _group(ident, None, name, body, kind)
    if kind in EVENTS:
        r = min(box.w, box.h) / 2
        cx, cy = box.x + box.w / 2, box.y + box.h / 2
        width = 3 if kind == "endEvent" else 1.5
        inner = (f'<circle cx="{cx:g}" cy="{cy:g}" r="{r - 3:g}" fill="none" stroke="{stroke}"/>'
                 if kind.startswith("intermediate") or kind == "boundaryEvent" else "")
        dashed = ' stroke-dasharray="4 2"' if el.get("cancelActivity") == "false" else ""
        mark = next((EVENT_MARKS[_local(c)] for c in el if isinstance(c.tag, str) and _local(c) in EVENT_MARKS), "")
        body = (f'<circle cx="{cx:g}" cy="{cy:g}" r="{r:g}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"'
                f'{dashed}/>{inner}' + _centered(cx, cy + 4, mark, 13) + _below(box, label_box, name))
        return _group(ident, state, name, body, "event")
    if kind in GATEWAYS:
        cx, cy = box.x + box.w / 2, box.y + box.h / 2
        points = f"{cx:g},{box.y:g} {box.x + box.w:g},{cy:g} {cx:g},{box.y + box.h:g} {box.x:g},{cy:g}"
        body = (f'<polygon points="{points}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
                + _centered(cx, cy + 6, GATEWAYS[kind], 18) + _below(box, label_box, name))
        return _group(ident, state, name, body, "gateway")
    if kind in ("dataObjectReference", "dataStoreReference", "textAnnotation"):
        text = name or "".join(el.findtext("bpmn:text", default="", namespaces=NS))
        body = (f'<rect x="{box.x:g}" y="{box.y:g}" width="{box.w:g}" height="{box.h:g}" fill="#fafafa" '
                f'stroke="#999" stroke-dasharray="{"3 2" if kind == "textAnnotation" else "0"}"/>'
                + _wrapped(box, text))
        return _group(ident, None, text, body, "artifact")
    return _task(kind, el, box, name, ident, state, fill, stroke)


def _task(kind: str, el: etree._Element, box: Box, name: str, ident: str, state: str | None,
          fill: str, stroke: str) -> str:
    width = 3 if kind in ("callActivity", "subProcess", "transaction") else 1.5
    body = (f'<rect x="{box.x:g}" y="{box.y:g}" width="{box.w:g}" height="{box.h:g}" rx="8" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{width}"/>')
    mark = TASK_MARKS.get(kind, "")
    if kind == "userTask":  # a small person: head and shoulders
        x, y = box.x + 6, box.y + 4
        body += (f'<circle cx="{x + 5:g}" cy="{y + 4:g}" r="3" fill="none" stroke="{stroke}"/>'
                 f'<path d="M{x:g},{y + 13:g} q5,-8 10,0" fill="none" stroke="{stroke}"/>')
    elif mark:
        body += f'<text x="{box.x + 5:g}" y="{box.y + 15:g}" font-size="12">{escape(mark)}</text>'
    loop = el.find("bpmn:multiInstanceLoopCharacteristics", NS)
    if loop is not None:
        cx, y = box.x + box.w / 2, box.y + box.h - 14
        if loop.get("isSequential") == "true":
            body += "".join(f'<line x1="{cx - 6:g}" y1="{y + i * 4:g}" x2="{cx + 6:g}" y2="{y + i * 4:g}" '
                            f'stroke="{stroke}" stroke-width="1.5"/>' for i in range(3))
        else:
            body += "".join(f'<line x1="{cx - 4 + i * 4:g}" y1="{y:g}" x2="{cx - 4 + i * 4:g}" y2="{y + 10:g}" '
                            f'stroke="{stroke}" stroke-width="1.5"/>' for i in range(3))
    if el.find("bpmn:standardLoopCharacteristics", NS) is not None:
        body += _centered(box.x + box.w / 2, box.y + box.h - 4, "↻", 12)
    body += _wrapped(box, name)
    return _group(ident, state, name, body, "task")


def _edge(el: etree._Element, points: list[tuple[float, float]], edge: etree._Element, name: str,
          ident: str, state: str | None) -> str:
    kind = _local(el)
    stroke = COLOURS[state][1] if state in COLOURS and state else "#444"
    path = " ".join(f"{x:g},{y:g}" for x, y in points)
    if kind == "messageFlow":
        line = f'<polyline points="{path}" fill="none" stroke="{stroke}" stroke-dasharray="6 3" marker-end="url(#open-arrow)"/>'
    elif kind in ("association", "dataInputAssociation", "dataOutputAssociation"):
        line = f'<polyline points="{path}" fill="none" stroke="#888" stroke-dasharray="2 3"/>'
    else:
        width = 2.5 if state else 1.2
        line = (f'<polyline points="{path}" fill="none" stroke="{stroke}" stroke-width="{width}" '
                'marker-end="url(#arrow)"/>')
        source = el.getparent().find(f"*[@id='{el.get('sourceRef')}']") if el.getparent() is not None else None
        if source is not None and source.get("default") == el.get("id"):
            (x1, y1), (x2, y2) = points[0], points[1]
            mx, my = x1 + (x2 - x1) * 0.25, y1 + (y2 - y1) * 0.25
            line += f'<line x1="{mx - 5:g}" y1="{my - 5:g}" x2="{mx + 5:g}" y2="{my + 5:g}" stroke="{stroke}"/>'
    label = edge.find("bpmndi:BPMNLabel", NS)
    label_box = _bounds(label) if label is not None else None
    if name:
        if label_box is not None:
            line += _wrapped(label_box, name, size=11)
        else:
            (x1, y1), (x2, y2) = points[len(points) // 2 - 1], points[len(points) // 2]
            line += _centered((x1 + x2) / 2, (y1 + y2) / 2 - 4, name, 11)
    return _group(ident, state, name, line, "flow")


def _centered(x: float, y: float, text: str, size: int = 12) -> str:
    if not text:
        return ""
    return f'<text x="{x:g}" y="{y:g}" text-anchor="middle" font-size="{size}">{escape(text)}</text>'


def _lines(text: str, width: float, size: int) -> list[str]:
    """Break by characters (Chinese has no spaces), a CJK glyph counting as one em, Latin as half."""
    limit = max(width - 8, size)
    lines, current, used = [], "", 0.0
    for ch in text.replace("\n", " "):
        advance = size if ord(ch) > 0x2E80 else size * 0.55
        if used + advance > limit and current:
            lines.append(current)
            current, used = "", 0.0
        current += ch
        used += advance
    if current:
        lines.append(current)
    return lines


def _wrapped(box: Box, text: str, size: int = 12) -> str:
    if not text:
        return ""
    lines = _lines(text, box.w, size)[:5]
    top = box.y + box.h / 2 - (len(lines) - 1) * (size + 2) / 2 + size / 3
    return "".join(_centered(box.x + box.w / 2, top + i * (size + 2), line, size) for i, line in enumerate(lines))


def _below(box: Box, label_box: Box | None, name: str) -> str:
    if not name:
        return ""
    target = label_box or Box(box.x - 30, box.y + box.h + 2, box.w + 60, 28)
    return _wrapped(target, name, 11)


def _vertical_label(box: Box, name: str) -> str:
    if not name:
        return ""
    cx, cy = box.x + 15, box.y + box.h / 2
    return (f'<text x="{cx:g}" y="{cy:g}" text-anchor="middle" transform="rotate(-90 {cx:g} {cy:g})">'
            f"{escape(name)}</text>")

