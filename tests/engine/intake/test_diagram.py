"""Server-side SVG diagrams from BPMN diagram data: real files from other tools, states, hostile names."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from engine.core.errors import InvalidDefinition, InvalidInput
from engine.intake import diagram, lint, xmlsafe
from tests.conftest import CONFORMANCE_DIR

ROOT = Path(__file__).resolve().parents[3]
SVG = "{http://www.w3.org/2000/svg}"
LEAVE = (ROOT / "processes" / "leave_request.bpmn").read_bytes()


def _corpus() -> list[Path]:
    return sorted(CONFORMANCE_DIR.rglob("*.bpmn")) if CONFORMANCE_DIR.exists() else []


def _drawn(svg: str) -> list[etree._Element]:
    return [g for g in etree.fromstring(svg.encode()).iter(f"{SVG}g") if g.get("data-element-id")]


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_every_corpus_diagram_renders_one_group_per_di_element(path: Path) -> None:
    try:
        tree = xmlsafe.parse_bpmn(path.read_bytes(), path.name)
    except InvalidDefinition:
        pytest.skip("not well-formed XML: refused at intake")
    root = tree.getroot()
    planes = root.findall("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", diagram.NS)
    if not planes:
        with pytest.raises(InvalidInput, match="no diagram data"):
            diagram.render_svg(tree)
        return
    process_ids = lint.executable_process_ids(tree) or [None]
    for process_id in process_ids:
        try:
            svg = diagram.render_svg(tree, process_id)
        except InvalidInput as exc:
            assert "no diagram of process" in str(exc) or "no shapes" in str(exc)
            continue
        plane = diagram._plane_for(root, process_id)
        ids = {str(el.get("id")) for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
        expected = [s for s in plane if isinstance(s.tag, str) and s.get("bpmnElement") in ids
                    and etree.QName(s).localname in ("BPMNShape", "BPMNEdge")]
        drawable = [s for s in expected if etree.QName(s).localname == "BPMNShape"
                    and s.find("dc:Bounds", diagram.NS) is not None
                    or etree.QName(s).localname == "BPMNEdge" and len(s.findall("di:waypoint", diagram.NS)) >= 2]
        assert len(_drawn(svg)) == len(drawable)


def test_states_colour_the_named_elements() -> None:
    svg = diagram.render_svg(LEAVE, "leave_request", states={"apply": "done", "head_review": "overdue",
                                                               "f_start_apply": "done", "record": "warned"})
    classes = {g.get("data-element-id"): g.get("class") for g in _drawn(svg)}
    assert classes["apply"] == "bpmn-task state-done"
    assert classes["head_review"] == "bpmn-task state-overdue" and "#c62828" in svg
    assert classes["f_start_apply"] == "bpmn-flow state-done"
    assert classes["record"] == "bpmn-task state-warned"
    assert classes["end_approved"] == "bpmn-event"
    assert "部门负责人审批" in svg and "申请人" in svg


def test_hostile_names_come_out_as_text() -> None:
    hostile = LEAVE.replace('name="部门负责人审批"'.encode(), b'name="&lt;script&gt;alert(1)&lt;/script&gt;&quot; onload=&quot;x"')
    svg = diagram.render_svg(hostile, "leave_request")
    tree = etree.fromstring(svg.encode())
    assert not list(tree.iter(f"{SVG}script"))
    assert all(not attr.startswith("on") for el in tree.iter() for attr in el.attrib)
    assert "<script>alert(1)</script>" in "".join(tree.itertext())


def test_view_box_covers_negative_coordinates() -> None:
    moved = LEAVE.replace(b'x="120" y="60" width="820"', b'x="-300" y="-200" width="820"')
    svg = diagram.render_svg(moved, "leave_request")
    left, top, _, _ = (float(v) for v in etree.fromstring(svg.encode()).get("viewBox").split())
    assert left <= -300 and top <= -200


def test_a_process_without_its_diagram_is_refused_clearly() -> None:
    with pytest.raises(InvalidInput, match="no diagram of process 'other'"):
        diagram.render_svg(LEAVE, "other")
    bare = (ROOT / "tests" / "fixtures" / "bpmn" / "case_actions.bpmn").read_bytes()
    with pytest.raises(InvalidInput, match="no diagram data"):
        diagram.render_svg(bare, "case_actions")


def test_long_chinese_names_wrap_inside_the_task() -> None:
    lines = diagram._lines("建设项目环境影响评价与施工许可联合审批现场踏勘", 100, 12)
    assert len(lines) > 2 and all(len(line) <= 8 for line in lines)
