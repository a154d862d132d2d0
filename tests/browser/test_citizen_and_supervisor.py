"""A citizen writes to the mayor and later reads the published reply; a supervisor acts on an overdue case."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import follow, screenshot
from tests.browser.test_government_processes import signed_in, work

TITLE = "建议在滨河公园增设健身器材"


def _code_from_outbox(browser: Any, server: str, phone: str) -> str:
    """In the demo the operator reads the SMS the portal sent in the administrator's outbox."""
    with signed_in(browser, server, "admin") as page:
        page.goto(f"{server}/admin/outbox?channel=sms&recipient={phone}")
        body = page.locator("table.list tbody tr td.body").first.inner_text()
        found = re.search(r"\b(\d{6})\b", body)
        assert found, body
        return found.group(1)


def test_a_citizen_writes_a_letter_and_later_reads_the_published_reply(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    citizen = context.new_page()
    citizen.goto(f"{server}/portal/")
    screenshot(citizen, "portal-home")
    citizen.goto(f"{server}/portal/mailbox/write")
    citizen.fill("input[name=phone]", "13912345678")
    citizen.click("button:has-text('获取验证码')")
    assert citizen.locator("[data-sent]").count() == 1
    code = _code_from_outbox(browser, server, "13912345678")
    citizen.fill("input[name=code]", code)
    citizen.check("input[name=category][value=suggest]")
    citizen.fill("input[name=title]", TITLE)
    citizen.fill("textarea[name=content]", "滨河公园周边居民多，健身器材少，建议增设。")
    citizen.check("input[name=wants_public]")
    screenshot(citizen, "portal-letter-write")
    follow(citizen, "form.portal-form button.primary")
    letter_code = citizen.locator("[data-letter-code]").inner_text().strip()
    password = citizen.locator("[data-letter-password]").inner_text().strip()
    assert re.fullmatch(r"\d{6}", password) and letter_code
    screenshot(citizen, "portal-letter-done")

    work(browser, server, "mailbox_clerk", TITLE, lambda p: p.check("input[name=screening][value=valid]"))

    def instruct(page: Any) -> None:
        page.select_option("select[name=handle_depts]", ["zjj"])
        page.fill("textarea[name=opinion]", "请住建局研究答复")

    work(browser, server, "mayor_wang", TITLE, instruct)
    work(browser, server, "zjj_clerk", TITLE, lambda p: p.fill("textarea[name=reply]", "已纳入明年公园提升计划，将增设健身器材。"))

    def approve(page: Any) -> None:
        page.check("input[name=review][value=approve]")
        page.select_option("select[name=publish]", "True")

    work(browser, server, "mayor_wang", TITLE, approve)

    citizen.goto(f"{server}/portal/mailbox/query")
    citizen.fill("input[name=letter_code]", letter_code)
    citizen.fill("input[name=password]", "000000" if password != "000000" else "111111")
    follow(citizen, "form.portal-form button.primary")
    assert citizen.locator("[data-reply]").count() == 0, "a wrong password shows nothing"
    citizen.fill("input[name=letter_code]", letter_code)
    citizen.fill("input[name=password]", password)
    follow(citizen, "form.portal-form button.primary")
    assert "已纳入明年公园提升计划" in citizen.locator("[data-reply]").inner_text()
    citizen.check("form.portal-rating input[name=rating][value='5']")
    follow(citizen, "form.portal-rating button.primary")
    assert citizen.locator("[data-rating='5']").count() == 1
    screenshot(citizen, "portal-letter-reply")
    citizen.goto(f"{server}/portal/mailbox/replies")
    assert TITLE in citizen.content() and "13912345678" not in citizen.content()
    context.close()


def test_a_supervisor_finds_an_overdue_case_issues_an_order_and_exports_the_report(server: str, browser: Any) -> None:
    case = "张三病假两天（超期未批）"  # the demo's leave request waiting past its limit at 李四's desk
    with signed_in(browser, server, "supervisor") as page:
        follow(page, "nav.main a:has-text('电子监察')")
        screenshot(page, "supervision-live")
        follow(page, "a[data-tab=overdue]")
        row = page.locator("tr[data-clock]", has_text=case)
        assert row.count() == 1, "the overdue case is listed"
        screenshot(page, "supervision-overdue")
        with page.expect_download() as download:
            page.click("a[data-format=csv]")
        csv_text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
        assert case in csv_text and csv_text.count("\n") >= 2
        follow(page, row.locator("a:has-text('督办单')"))
        assert page.locator("select[name=addressee] option[selected]").get_attribute("value") == "lisi"
        page.fill("textarea[name=demand]", "请于本周五前审批并报告延误原因")
        page.fill("input[name=due_date]", "2026-11-06")
        follow(page, "button.primary:has-text('开具并通知接收人')")
        assert "请于本周五前审批并报告延误原因" in page.content()
        screenshot(page, "supervision-order")
        order_url = page.url
    with signed_in(browser, server, "lisi") as page:
        follow(page, "a[data-open-orders]")  # the header tells the addressee an order waits
        assert page.url.endswith("/supervision/orders/mine")
        order_id = order_url.rsplit("/", 1)[1]
        follow(page, f"[data-order='{order_id}'] a")
        assert page.url == order_url
        page.fill("textarea[name=reply]", "已于今日审批，延误原因是材料待补")
        follow(page, "form.sv-reply button.primary")
        assert "已于今日审批，延误原因是材料待补" in page.content()
    with signed_in(browser, server, "supervisor") as page:
        page.goto(order_url)
        assert "已于今日审批，延误原因是材料待补" in page.content() and "lisi" in page.content()
