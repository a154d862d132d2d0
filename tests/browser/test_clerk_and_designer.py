"""A head approves a warned leave request in a real browser; a designer deploys a Camunda Modeler file."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import follow, login, screenshot
from tests.conftest import CONFORMANCE_DIR


def test_head_works_the_inbox_approves_and_sees_the_diagram(server: str, page: Any) -> None:
    page.goto(server + "/inbox/")
    assert "/login" in page.url
    screenshot(page, "login")
    login(page, server, "lisi", "wrong-password")
    assert "用户名或密码错误" in page.content()
    login(page, server, "lisi")
    assert page.url.endswith("/inbox/")
    rows = page.locator("table.list tbody tr")
    assert rows.count() >= 3
    assert page.locator("tr.warn-red").count() == 1 and page.locator("tr.warn-yellow").count() == 1
    screenshot(page, "inbox")
    follow(page, "text=张三请假三天（探亲）")
    assert "部门负责人审批" in page.content()
    follow(page, "button.primary:has-text('提交')")  # nothing chosen: the server names the field
    assert "「审批结果」为必填项" in page.content()
    screenshot(page, "task-form-error")
    page.check("input[name=approved][value=True]")
    page.fill("textarea[name=opinion]", "同意，注意安排好工作交接")
    follow(page, "button.primary:has-text('提交')")
    assert "已办理" in page.content()
    follow(page, "a[data-tab=done]")
    follow(page, "text=张三请假三天（探亲）")
    assert page.locator("svg.bpmn-diagram").count() == 1
    assert page.locator("g[data-element-id=head_review].state-done").count() == 1
    assert page.locator("g[data-element-id=record].state-active").count() == 1
    assert "同意，注意安排好工作交接" in page.content()
    screenshot(page, "instance")
    follow(page, "text=English")
    assert page.locator("html[lang=en]").count() == 1
    assert page.locator("button:has-text('退出')").count() == 0
    follow(page, "button:has-text('Sign out')")
    assert "/login" in page.url


def test_designer_uploads_a_camunda_file_deploys_and_runs_it(server: str, page: Any) -> None:
    camunda = CONFORMANCE_DIR / "camunda" / "invoicePayment.bpmn"  # saved by Camunda Modeler 4.7.0
    login(page, server, "designer")
    page.goto(server + "/designer/")
    page.set_input_files("input[name=files]", str(camunda))
    follow(page, "button:has-text('检查并预览')")
    assert page.locator("figure.diagram svg g[data-element-id]").count() > 5
    assert "没有发现问题" in page.content()
    screenshot(page, "designer-check")
    page.set_input_files("input[name=files]", str(camunda))
    follow(page, "button:has-text('发布为新版本')")
    row = page.locator("tr[data-process=embeddedFormsBpmnEvents]")
    assert row.count() == 1
    screenshot(page, "designer-versions")
    row.locator("input[name=data]").fill('{"amount": 120}')
    follow(page, row.locator("button:has-text('启动测试实例')"))
    assert "/instances/" in page.url
    assert page.locator("svg.bpmn-diagram g.state-active").count() == 1
    assert page.locator("svg.bpmn-diagram g.state-done").count() >= 1
    screenshot(page, "designer-test-instance")


def test_designer_reads_why_a_file_is_refused_in_chinese(server: str, page: Any) -> None:
    camunda = CONFORMANCE_DIR / "miwg" / "C.1.0_camunda-modeler-5.23_export.bpmn"  # a timer with no value
    login(page, server, "designer")
    page.goto(server + "/designer/")
    page.set_input_files("input[name=files]", str(camunda))
    follow(page, "button:has-text('发布为新版本')")
    assert "未能发布：发现" in page.content()
    timer = page.locator("table.problems tr", has=page.locator("td.element", has_text="7 Days（Event_1m6mn1s）"))
    assert timer.count() >= 1
    assert "定时器没有填写日期、时长或循环" in timer.first.inner_text()
    assert "错误（不能部署）" in timer.first.inner_text()
    assert not timer.first.locator("details.detail").evaluate("d => d.open")  # the engine's detail stays folded
    screenshot(page, "designer-refused")
