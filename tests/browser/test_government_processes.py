"""The three shipped processes carried through their steps by the people who work them, in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.browser.conftest import follow, login, screenshot

Fill = Callable[[Any], None]


@contextmanager
def signed_in(browser: Any, server: str, username: str) -> Iterator[Any]:
    """A fresh browser context per person, as if each sat at their own desk."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        login(page, server, username)
        assert page.url.endswith("/inbox/"), f"{username} could not log in"
        yield page
    finally:
        context.close()


def open_task(page: Any, server: str, title: str) -> None:
    """Find the case in the 待办 list by its title and open the task."""
    page.goto(f"{server}/inbox/?q={title}")
    link = page.locator("table.list tbody a", has_text=title)
    assert link.count() == 1, f"expected one open task for {title!r}, found {link.count()}"
    follow(page, link)
    assert "/inbox/tasks/" in page.url


def submit(page: Any) -> None:
    follow(page, "form.task-form button.primary")
    assert page.locator("p.error").count() == 0, page.locator("p.error").all_inner_texts()


def work(browser: Any, server: str, user: str, title: str, fill: Fill, shot: str | None = None) -> None:
    """`user` opens the case from their inbox, fills the form and submits it."""
    with signed_in(browser, server, user) as page:
        open_task(page, server, title)
        fill(page)
        if shot:
            screenshot(page, shot)
        submit(page)
        assert "已办理" in page.content()


def instance_page(browser: Any, server: str, user: str, title: str) -> str:
    """The case page as `user` sees it after finding the case in their 已办 list."""
    with signed_in(browser, server, user) as page:
        page.goto(f"{server}/inbox/?tab=done&q={title}")
        follow(page, page.locator("table.list tbody a", has_text=title).first)
        assert "/instances/" in page.url
        return str(page.content())


def test_mailbox_letter_goes_clerk_leader_two_departments_review_and_is_published(server: str, browser: Any) -> None:
    title = "小区夜间施工噪音扰民"

    def receive(page: Any) -> None:
        assert "某某小区旁工地每晚十一点后仍在施工" in page.content()
        page.check("input[name=screening][value=valid]")
        page.fill("textarea[name=opinion]", "属实，请领导批示")

    def instruct(page: Any) -> None:
        page.select_option("select[name=handle_depts]", ["zjj", "sthj"])
        page.fill("textarea[name=opinion]", "请住建局、生态环境局联合查处并答复")

    work(browser, server, "mailbox_clerk", title, receive, "mailbox-receive")
    work(browser, server, "mayor_wang", title, instruct, "mailbox-instruct")
    for clerk, reply in (("zjj_clerk", "已责令工地夜间停止施工。"), ("sthj_clerk", "已对工地噪声进行监测并处罚。")):
        work(browser, server, clerk, title, lambda page, text=reply: page.fill("textarea[name=reply]", text))

    def review(page: Any) -> None:
        content = page.content()
        assert "已责令工地夜间停止施工" in content and "已对工地噪声进行监测并处罚" in content
        page.check("input[name=review][value=approve]")
        page.select_option("select[name=publish]", "True")
        page.fill("textarea[name=final_reply]", "经查，该工地已停止夜间施工并被依法处罚。")

    work(browser, server, "mayor_wang", title, review, "mailbox-review")
    content = instance_page(browser, server, "mayor_wang", title)
    assert re.search(r'status-completed|status-done', content), "the letter's case should be finished"
    assert 'data-ref="published"' in content, "the reply is published"
    with signed_in(browser, server, "mayor_wang") as page:
        page.goto(f"{server}/inbox/?tab=done&q={title}")
        follow(page, page.locator("table.list tbody a", has_text=title).first)
        assert page.locator("g[data-element-id=publish].state-done").count() == 1
        screenshot(page, "mailbox-published")


def test_licence_application_with_supplement_then_approval(server: str, browser: Any) -> None:
    title = "某某小吃店"

    def ask_for_more(page: Any) -> None:
        page.check("input[name=acceptance][value=supplement]")
        page.fill("textarea[name=missing]", "缺食品安全管理制度文本")

    work(browser, server, "window_clerk", title, ask_for_more, "licence-accept")
    with signed_in(browser, server, "window_clerk") as page:
        open_task(page, server, title)
        assert page.locator(".clock .pause", has_text="补正").count() >= 1, "the statutory clock should be paused"
        page.fill("textarea[name=supplement_note]", "申请人已补交食品安全管理制度")
        page.set_input_files("input[name=supplement_files]", files=[
            {"name": "制度.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 rules"}])
        screenshot(page, "licence-supplement")
        submit(page)
    work(browser, server, "window_clerk", title, lambda page: page.check("input[name=acceptance][value=accept]"))
    for head in ("scjg_head", "sthj_head"):
        def agree(page: Any) -> None:
            page.check("input[name=agree][value=True]")
            page.fill("textarea[name=opinion]", "材料齐全，同意")
        work(browser, server, head, title, agree)

    def consolidate(page: Any) -> None:
        page.check("input[name=proposal][value=grant]")
        page.fill("textarea[name=opinion]", "各部门均同意，拟准予许可")

    def decide(page: Any) -> None:
        page.check("input[name=decision][value=grant]")
        page.fill("textarea[name=legal_reason]", "符合《食品经营许可管理办法》规定的条件")

    work(browser, server, "scjg_head", title, consolidate)
    work(browser, server, "scjg_leader", title, decide, "licence-decide")
    work(browser, server, "window_clerk", title, lambda page: page.select_option("select[name=delivery_method]", "window"))
    content = instance_page(browser, server, "window_clerk", title)
    assert re.search(r"补正 [\d-]+ [\d:]+–[\d-]+ [\d:]+", content), "the 补正 pause was recorded and ended"
    assert re.search(r'status-completed|status-done', content)
    assert re.search(r'data-ref="application_status">\s*(准予许可|已送达)', content), content  # in words
    assert "制度.pdf" in content


def test_outgoing_document_countersign_objection_withdraw_send_back_and_number(server: str, browser: Any) -> None:
    title = "关于加强城市建设项目审批服务的意见"

    def object_(page: Any) -> None:
        page.check("input[name=agree][value=False]")
        page.fill("textarea[name=opinion]", "第三条与住建部门现行规定冲突，请修改")

    work(browser, server, "zjj_leader", title, object_, "document-countersign")
    with signed_in(browser, server, "szfb_clerk") as page:
        open_task(page, server, title)
        assert "第三条与住建部门现行规定冲突" in page.content(), "the objection must reach the drafter"
        assert page.locator("input[name=title]").input_value() == title, "the earlier draft is kept"
        submit(page)
        page.goto(f"{server}/inbox/?tab=started&q={title}")
        follow(page, page.locator("table.list tbody a", has_text=title).first)
        follow(page, "button:has-text('撤回我的上一步')")
        assert "已撤回" in page.content()
        open_task(page, server, title)
        submit(page)
    with signed_in(browser, server, "szfb_head") as page:
        open_task(page, server, title)
        page.click("details.ops summary")
        draft = page.locator("select[name=target] option", has_text="拟稿").first.get_attribute("value")
        page.select_option("select[name=target]", draft)
        page.fill("form[action$='/send-back'] textarea[name=reason]", "请补充政策依据")
        follow(page, "form[action$='/send-back'] button")
        assert "退回" in page.content()
    with signed_in(browser, server, "szfb_clerk") as page:
        open_task(page, server, title)
        assert "请补充政策依据" in page.content()
        submit(page)
    work(browser, server, "szfb_head", title, lambda page: page.check("input[name=review_ok][value=True]"))
    for leader in ("fgw_leader", "zjj_leader"):
        work(browser, server, leader, title, lambda page: page.check("input[name=agree][value=True]"))
    work(browser, server, "szfb_checker", title, lambda page: page.check("input[name=check_ok][value=True]"))

    def sign(page: Any) -> None:
        page.check("input[name=sign_ok][value=True]")
        page.fill("textarea[name=opinion]", "同意印发")

    work(browser, server, "mayor_wang", title, sign, "document-sign-off")
    work(browser, server, "szfb_clerk", title, lambda page: page.fill("input[name=copies]", "40"))
    work(browser, server, "szfb_clerk", title, lambda page: page.select_option("select[name=retention]", "永久"))
    content = instance_page(browser, server, "szfb_clerk", title)
    assert re.search(r"某府发〔2026〕\d+号", content), "the document number shows on the case"
    trail = re.findall(r'data-action="([a-z_]+)"', content)
    assert "withdraw" in trail and "send_back" in trail
