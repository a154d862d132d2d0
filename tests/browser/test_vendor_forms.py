"""Files from other tools worked to their end in a real browser: a Camunda formData form, Activiti form
properties, SpiffArena JSON-schema forms and a DMN-routed process, deployed together by the designer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.browser.conftest import follow, login, screenshot
from tests.conftest import CONFORMANCE_DIR

EXTRA = Path(__file__).resolve().parents[1] / "conformance" / "extra"
UPLOAD = ["camunda_form_data.bpmn", "activiti_form_properties.bpmn", "spiff_trip.bpmn", "describe-trip-schema.json",
          "describe-trip-uischema.json", "approve-trip-schema.json", "leave_rules.dmn", "leave_with_decisions.bpmn"]


def _deploy(page: Any, server: str) -> None:
    login(page, server, "designer")
    page.goto(server + "/designer/")
    page.set_input_files("input[name=files]", [str(EXTRA / n) for n in UPLOAD])
    follow(page, "button:has-text('检查并预览')")
    text = page.content()
    assert "Camunda 表单字段" in text and "SpiffArena JSON 表单" in text and "Activiti/Flowable 表单属性" in text
    assert "applicant name" in text and "Who approves" in text
    screenshot(page, "designer-vendor-forms")
    page.set_input_files("input[name=files]", [str(EXTRA / n) for n in UPLOAD])
    follow(page, "button:has-text('发布为新版本')")
    for process in ("camunda_form_data", "activiti_form_properties", "spiff_trip", "leave_with_decisions"):
        assert page.locator(f"tr[data-process={process}]").count() == 1


def _start(page: Any, server: str, process: str, data: dict[str, Any] | None = None) -> str:
    login(page, server, "designer")
    page.goto(server + "/designer/")
    row = page.locator(f"tr[data-process={process}]")
    row.locator("input[name=data]").fill(json.dumps(data or {}))
    follow(page, row.locator("button:has-text('启动测试实例')"))
    assert "/instances/" in page.url
    return page.url


def _work(page: Any, server: str, instance_url: str, who: str) -> None:
    """Open the case's step as `who` (the designer, who started it, or the administrator)."""
    login(page, server, who)
    page.goto(instance_url)
    follow(page, "a:has-text('办理')")


def _submit(page: Any) -> None:
    follow(page, "form.task-form button.primary:has-text('提交')")


def _finished(page: Any, instance_url: str) -> None:
    page.goto(instance_url)
    assert page.locator("small.status-completed").count() == 1, page.content()[-1500:]


def test_camunda_activiti_spiff_and_dmn_files_are_worked_to_their_end(server: str, page: Any) -> None:
    _deploy(page, server)

    car = _start(page, server, "camunda_form_data")
    _work(page, server, car, "designer")
    _submit(page)  # nothing filled: the server names the fields
    assert "「申请人姓名」为必填项" in page.content() and "「用车事由」为必填项" in page.content()
    page.fill("input[name=applicant_name]", "张三")
    page.fill("input[name=trip_days]", "5")
    page.select_option("select[name=purpose]", "meeting")
    page.fill("input[name=startDate]", "2026-12-01")
    page.check("input[name=needDriver][value=True]")
    page.fill("textarea[name=opinion]", "下周一出发")
    screenshot(page, "camunda-form-data")
    _submit(page)
    _work(page, server, car, "admin")
    assert page.locator("#f-applicant_name.readonly").inner_text() == "张三"
    page.check("input[name=approved][value=True]")
    _submit(page)
    _finished(page, car)

    purchase = _start(page, server, "activiti_form_properties")
    _work(page, server, purchase, "designer")
    page.fill("textarea[name=listing]", "打印纸 10 箱")
    page.fill("input[name=amountMoney]", "1200.5")
    _submit(page)
    _work(page, server, purchase, "admin")
    assert page.locator("#f-applyUserId.readonly").inner_text() == "designer"
    page.select_option("select[name=deptLeaderApproved]", "true")
    screenshot(page, "activiti-form-properties")
    _submit(page)
    _work(page, server, purchase, "designer")
    page.select_option("select[name=signers]", ["lisi", "zhangsan"])
    _submit(page)
    _finished(page, purchase)

    trip = _start(page, server, "spiff_trip")
    _work(page, server, trip, "designer")
    page.fill("input[name=days]", "5")
    page.fill("input[name=destination]", "杭州")
    page.check("input[name=transport][value=train]")
    page.check("input[name=tasks][value=调研]")
    screenshot(page, "spiff-json-schema")
    _submit(page)
    _work(page, server, trip, "designer")
    assert page.locator("#f-destination.readonly").inner_text() == "杭州"
    page.check("input[name=approved][value=True]")
    _submit(page)
    _finished(page, trip)

    leave = _start(page, server, "leave_with_decisions", {"days": 2, "leaveKind": "annual", "years": 12})
    login(page, server, "admin")
    page.goto(leave)
    assert "dept_head" in page.content(), "the decision table chose the approving group"
    follow(page, "a:has-text('办理')")
    assert page.locator("form.task-form input[name=days]").input_value() == "2"
    _submit(page)
    _finished(page, leave)


def test_a_start_form_from_an_activiti_file_is_filled_when_the_case_starts(server: str, page: Any) -> None:
    purchase = CONFORMANCE_DIR / "approval" / "aia_purchase-subprocess_caigou.bpmn"
    login(page, server, "designer")
    page.goto(server + "/designer/")
    page.set_input_files("input[name=files]", str(purchase))
    follow(page, "button:has-text('发布为新版本')")
    page.goto(server + "/inbox/start")
    row = page.locator("tr[data-process=purchase-subprocess]")
    row.locator("input[name=title]").fill("采购打印纸")
    follow(page, row.locator("button:has-text('发起')"))
    assert "/inbox/start/purchase-subprocess" in page.url and "到货期限" in page.content()
    assert page.locator("h1").inner_text() == "发起：办公用品采购", "the process's name, not the start event's id"
    page.fill("textarea[name=listing]", "打印纸 10 箱")
    page.fill("input[name=amountMoney]", "800")
    follow(page, "form.start-form button.primary")
    assert "「到货期限」为必填项" in page.content()
    page.fill("input[name=dueDate]", "2026-12-01")
    screenshot(page, "start-form")
    follow(page, "form.start-form button.primary")
    assert "已发起" in page.content()
