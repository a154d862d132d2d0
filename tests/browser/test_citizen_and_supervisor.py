"""A citizen writes to the mayor and later reads the published reply; a supervisor acts on an overdue case."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import screenshot
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
    citizen.click("form.portal-form button.primary")
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
    citizen.click("form.portal-form button.primary")
    assert citizen.locator("[data-reply]").count() == 0, "a wrong password shows nothing"
    citizen.fill("input[name=letter_code]", letter_code)
    citizen.fill("input[name=password]", password)
    citizen.click("form.portal-form button.primary")
    assert "已纳入明年公园提升计划" in citizen.locator("[data-reply]").inner_text()
    citizen.check("form.portal-rating input[name=rating][value='5']")
    citizen.click("form.portal-rating button.primary")
    assert citizen.locator("[data-rating='5']").count() == 1
    screenshot(citizen, "portal-letter-reply")
    citizen.goto(f"{server}/portal/mailbox/replies")
    assert TITLE in citizen.content() and "13912345678" not in citizen.content()
    context.close()
