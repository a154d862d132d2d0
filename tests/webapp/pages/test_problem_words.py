"""Every problem the engine can report has a sentence for designers, and the designer page shows it.

The engine's problem codes are read from its source, so a new code without a sentence in
webapp/problem_words.py fails here instead of reaching a designer as an English detail."""

from __future__ import annotations

import ast
import io
from pathlib import Path
from typing import Any

from flask import Flask

from engine.core.problems import ERROR, WARNING, Problem
from engine.intake.batch import check, name_elements
from webapp import problem_words

ENGINE = Path(__file__).resolve().parents[3] / "engine"
CODE_LIKE = set("abcdefghijklmnopqrstuvwxyz-")


def _constants(node: ast.AST) -> set[str]:
    """String constants a code argument can take: a literal or either branch of a conditional."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _constants(node.body) | _constants(node.orelse)
    return set()


def _is_severity(node: ast.AST) -> bool:
    if isinstance(node, ast.IfExp):  # ERROR if clash else WARNING
        return _is_severity(node.body) and _is_severity(node.orelse)
    return isinstance(node, ast.Name) and node.id in {"ERROR", "WARNING", "severity"}


def engine_codes() -> dict[str, str]:
    """code -> module for each code the engine passes after a severity, or to a parameter named `code`,
    or returns as the first item of a (code, message) pair from a check."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in ENGINE.rglob("*.py")}
    code_params: dict[str, int] = {}  # function name -> position of its `code` parameter
    for tree in trees.values():
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef):
                names = [a.arg for a in fn.args.args]
                if "code" in names:
                    code_params[fn.name] = names.index("code")
            elif isinstance(fn, ast.ClassDef):  # a record built with its code first, e.g. vocabulary.Accepted
                fields = [a.target.id for a in fn.body if isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name)]
                if "code" in fields:
                    code_params[fn.name] = fields.index("code")
    found: dict[str, str] = {}
    for path, tree in trees.items():
        where = str(path.relative_to(ENGINE.parent))
        for node in ast.walk(tree):
            values: set[str] = set()
            if isinstance(node, ast.Call):
                args = node.args
                values |= {v for i, a in enumerate(args[:-1]) if _is_severity(a) for v in _constants(args[i + 1])}
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name in code_params and len(args) > code_params[name]:
                    values |= _constants(args[code_params[name]])
                values |= {v for k in node.keywords if k.arg == "code" for v in _constants(k.value)}
            elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
                first = node.value.elts[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and "-" in first.value:
                    values |= {first.value}
            found.update({v: where for v in values if v and set(v) <= CODE_LIKE})
    return found


def test_the_scan_finds_codes_of_every_kind() -> None:
    codes = engine_codes()
    # after a severity, through `_refuse(filename, code, ...)`, and a conditional code
    assert {"empty-script", "not-well-formed", "doctype-forbidden", "tolerated-duplicate-id", "duplicate-id"} <= set(codes)
    assert {"unknown-service", "clock-pause-reason"} <= set(codes)  # codes of accepted property values
    assert len(codes) > 50


def test_every_engine_problem_code_has_a_sentence() -> None:
    missing = {code: where for code, where in engine_codes().items() if code not in problem_words.PROBLEMS}
    assert not missing, f"codes without a sentence in webapp/problem_words.py: {missing}"


def test_sentences_are_chinese_and_say_what_to_do(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        for code, sentence in problem_words.PROBLEMS.items():
            text = str(sentence)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text), code
            assert text.endswith("。"), code
        assert problem_words.severity(ERROR) == "错误（不能部署）"
        assert problem_words.severity(WARNING) == "提示（可部署）"
        assert problem_words.explain("no-such-code") == "请按详情修改。"


def test_english_page_gets_english_sentences(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        text = problem_words.explain("empty-script")
    assert text.isascii() and "script" in text.lower()


BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">
  <process id="p" name="用印申请" isExecutable="true">
    <startEvent id="start" name="提出申请"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="calc"/>
    <scriptTask id="calc" name="计算&#10;份数" scriptFormat="python"/>
    <sequenceFlow id="f2" sourceRef="calc" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""


def test_problems_carry_the_element_name_from_the_file() -> None:
    problems = check([("seal.bpmn", BPMN.encode())]).problems
    empty = next(p for p in problems if p.code == "empty-script")
    assert (empty.element_id, empty.element_name) == ("calc", "计算 份数")
    assert problem_words.element(empty) == "计算 份数（calc）"
    unnamed = Problem(ERROR, "x", "m", "seal.bpmn", 3, "end")
    assert name_elements([unnamed], {})[0].element_name is None
    assert problem_words.element(unnamed) == "end"


def _upload(as_user: Any, action: str) -> tuple[int, str]:
    """The designer posts the file with the empty script to /designer/<action> on a Chinese page."""
    page = as_user("designer").post(f"/designer/{action}", data={"files": (io.BytesIO(BPMN.encode()), "seal.bpmn")},
                                    content_type="multipart/form-data", headers={"Accept-Language": "zh-CN"})
    return page.status_code, page.get_data(as_text=True)


def test_designer_page_shows_chinese_sentence_and_element_name(as_user: Any) -> None:
    status, html = _upload(as_user, "check")
    assert status == 400
    assert "脚本任务没有脚本，运行到此会失败" in html
    assert "计算 份数（calc）" in html
    assert "错误（不能部署）" in html
    assert ">error<" not in html and ">warning<" not in html


def test_refused_deployment_says_so_in_chinese(as_user: Any) -> None:
    status, html = _upload(as_user, "deploy")
    assert status == 400
    assert "未能发布：发现 1 个错误" in html
    assert "cannot deploy" not in html

