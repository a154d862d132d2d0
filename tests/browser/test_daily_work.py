"""The traps of a day's real work, walked in a real browser by the people who meet them: a draft sent
back and resubmitted with a new body, a second round of the same review, a deputy acting for an absent
head, 加签 and 减签, an extension decided, 批量审批, and a citizen's refusal of publication honoured."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import follow, screenshot
from tests.browser.test_citizen_and_supervisor import _code_from_outbox
from tests.browser.test_government_processes import open_task, signed_in, submit, work

PDF = b"%PDF-1.4\n"


def _pdf(name: str, text: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF + text.encode()}


def _clocks(page: Any) -> dict[str, str]:
    found = page.locator(".clock[data-clock]")
    return {found.nth(i).get_attribute("data-clock"): found.nth(i).inner_text() for i in range(found.count())}


def _case_page(page: Any, server: str, tab: str, title: str) -> None:
    page.goto(f"{server}/inbox/?tab={tab}&q={title}")
    follow(page, page.locator("table.list tbody a", has_text=title).first)
    assert "/instances/" in page.url


def test_a_draft_returned_by_the_head_comes_back_corrected_and_is_reviewed_afresh(server: str, browser: Any) -> None:
    first, second = "关于做好冬季供暖保障工作的通知", "关于做好二〇二六年冬季供暖保障工作的通知"
    with signed_in(browser, server, "szfb_clerk") as page:
        page.goto(f"{server}/inbox/start")
        row = page.locator("tr[data-process=document_outgoing]")
        row.locator("input[name=title]").fill(first)
        follow(page, row.locator("button"))
        assert "/inbox/tasks/" in page.url, "the drafter lands on the draft"
        assert page.locator("input[name=title]").input_value() == first
        signers = page.locator("select[name=signer] option:not([value=''])")
        names = signers.all_inner_texts()
        assert names and all("(" in n for n in names), names  # people by name and unit, not login names
        assert "王建国 (市长)" in names and not any("经办" in n for n in names), "only signing leaders offered"
        page.select_option("select[name=doc_type]", "通知")
        page.select_option("select[name=doc_word]", "某府办发")
        page.select_option("select[name=main_to]", ["zjj", "fgw"])
        page.select_option("select[name=signer]", "vmayor_li")
        page.set_input_files("input[name=body]", files=[_pdf("正文（送审稿）.pdf", "第一稿")])
        page.fill("textarea[name=opinion]", "请审核")
        submit(page)

    with signed_in(browser, server, "szfb_head") as page:
        open_task(page, server, first)
        assert "正文（送审稿）.pdf" in page.locator("section.earlier").inner_text()
        page.check("input[name=review_ok][value=False]")
        page.fill("textarea[name=opinion]", "标题请写明年度，正文第二段补充保障措施")
        submit(page)

    with signed_in(browser, server, "szfb_clerk") as page:
        open_task(page, server, first)
        assert "标题请写明年度，正文第二段补充保障措施" in page.content(), "the head's reason reaches the drafter"
        assert page.locator("select[name=signer]").input_value() == "vmayor_li", "the earlier draft comes back"
        kept = page.locator("label.kept")
        assert kept.count() == 1 and "保留 正文（送审稿）.pdf" in kept.inner_text(), "the earlier body, by name"
        screenshot(page, "daily-redraft")
        kept.locator("input").uncheck()
        page.set_input_files("input[name=body]", files=[_pdf("正文（修改稿）.pdf", "第二稿")])
        page.fill("input[name=title]", second)
        page.fill("textarea[name=opinion]", "已按意见修改")
        submit(page)

    with signed_in(browser, server, "szfb_head") as page:
        open_task(page, server, second)  # the case is found under its corrected title
        assert page.locator("input[name=review_ok]:checked").count() == 0, "last round's decision is not preset"
        assert page.locator("textarea[name=opinion]").input_value() == "", "nor last round's opinion"
        shown = page.locator("section.earlier").inner_text()
        assert "正文（修改稿）.pdf" in shown and "正文（送审稿）.pdf" not in shown, shown
        assert "已按意见修改" in page.locator("section.opinions").inner_text()
        screenshot(page, "daily-second-review")
        page.check("input[name=review_ok][value=True]")
        submit(page)
        _case_page(page, server, "done", second)
        trail = re.findall(r'data-action="([a-z_]+)"', page.content())
        assert trail.count("complete") >= 4, trail  # draft, review, redraft, review again


def test_a_deputy_finds_and_works_the_absent_heads_step(server: str, browser: Any) -> None:
    title = "关于调整市政府机关公务用车管理规定的通知"
    with signed_in(browser, server, "szfb_checker") as page:
        page.goto(f"{server}/inbox/?q={title}")
        badge = page.locator("table.list tbody tr", has_text=title).locator(".badge.deputy")
        assert badge.count() == 1 and "代 " in badge.inner_text() and "szfb_head" not in badge.inner_text()
        open_task(page, server, title)
        note = page.locator("p.note.deputy").inner_text()
        assert "您作为授权代理人代" in note and "科长" in note, note
        page.check("input[name=review_ok][value=True]")
        page.fill("textarea[name=opinion]", "同意（代签）")
        submit(page)
        _case_page(page, server, "done", title)
        trail = "\n".join(page.locator("li[data-action]").all_inner_texts())
        assert re.search(r"由 郑核稿 \(市政府办公室\) 代 \S+科长", trail), trail
        screenshot(page, "daily-deputy-trail")


def test_a_signer_adds_a_department_and_the_drafter_removes_it_again(server: str, browser: Any) -> None:
    title = "关于加强城市建设项目审批服务的意见"
    with signed_in(browser, server, "zjj_leader") as page:
        open_task(page, server, title)
        page.click("details.ops summary")
        form = page.locator("form[action$='/add-signer']")
        options = form.locator("select[name=item] option:not([value=''])").all_inner_texts()
        assert "市生态环境局" in options and not any(re.search(r"[a-z]", o) for o in options), options
        assert not any("住房和城乡建设" in o or "发展和改革" in o for o in options), "no department twice"
        form.locator("select[name=item]").select_option(label="市生态环境局")
        form.locator("input[name=reason]").fill("涉及环评审批，请生态环境局会签")
        follow(page, form.locator("button"))
        assert page.locator("p.error, .flash.error").count() == 0
    with signed_in(browser, server, "szfb_clerk") as page:
        _case_page(page, server, "started", title)
        added = page.locator("tr", has_text="市生态环境局").filter(has=page.locator("form.remove-signer"))
        assert added.count() == 1, "the drafter may take back the added signer"
        added.locator("input[name=reason]").fill("环评事项已另行征求意见")
        follow(page, added.locator("button:has-text('减签')"))
        current = page.locator("section", has_text="当前环节").first.inner_text()
        assert "市生态环境局" not in current, current
    work(browser, server, "zjj_leader", title, lambda page: page.check("input[name=agree][value=True]"))
    with signed_in(browser, server, "szfb_clerk") as page:
        _case_page(page, server, "started", title)
        current = page.locator("section", has_text="当前环节").first.inner_text()
        assert "核稿" in current, "the removed signer counts neither for nor against: the draft goes on"


def test_an_extension_request_is_decided_and_the_limit_moves(server: str, browser: Any) -> None:
    title = "某某置业有限公司"
    with signed_in(browser, server, "zrzy_head") as page:
        open_task(page, server, title)
        before = _clocks(page)
        assert not any("延期" in c for c in before.values()), before
    with signed_in(browser, server, "zrzy_leader") as page:
        page.goto(f"{server}/inbox/extensions")
        request = page.locator("section.extension-request", has_text="需组织专家论证建设方案")
        assert request.count() == 1, "the leader of the department decides the request"
        facts = request.inner_text()
        assert "3 个工作日" in facts and "科长" in facts, facts
        screenshot(page, "daily-extension-request")
        request.locator("textarea[name=note]").fill("同意延期")
        follow(page, request.locator("button[value=approve]"))
        assert page.locator("section.extension-request", has_text="需组织专家论证建设方案").count() == 0
    with signed_in(browser, server, "zrzy_head") as page:
        open_task(page, server, title)
        [(clock, step)] = [(k, c) for k, c in _clocks(page).items() if "延期" in c]
        assert "+ 3" in step and "延期 3：需组织专家论证建设方案" in step, step
        moved, was = re.findall(r"截止 (\S+)", step)[0], re.findall(r"截止 (\S+)", before[clock])[0]
        assert moved > was, (was, moved)  # three working days later


def test_a_head_approves_several_leave_requests_at_once(server: str, browser: Any) -> None:
    titles = ["张三病假两天（超期未批）", "张三事假一天（即将超期）"]
    with signed_in(browser, server, "lisi") as page:
        page.goto(f"{server}/inbox/?q=张三")
        for title in titles:
            page.locator("table.list tbody tr", has_text=title).locator("input[name=task_id]").check()
        page.fill("#batch-opinion", "同意，注意工作交接")
        screenshot(page, "daily-batch-pick")
        follow(page, "form#batch button.primary")
        summary = page.locator("[data-done]")
        assert (summary.get_attribute("data-done"), summary.get_attribute("data-total")) == ("2", "2")
        assert page.locator("tr[data-result=done]").count() == 2
        page.goto(f"{server}/inbox/?q=张三")
        left = page.locator("table.list tbody").inner_text()
        assert not any(t in left for t in titles), left
        _case_page(page, server, "done", titles[0])
        assert "同意，注意工作交接" in page.content()


def test_a_letter_whose_writer_refused_publication_stays_private(server: str, browser: Any) -> None:
    title = "反映单位拖欠工资问题"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    citizen = context.new_page()
    citizen.goto(f"{server}/portal/mailbox/write")
    citizen.fill("input[name=phone]", "13700001111")
    citizen.click("button:has-text('获取验证码')")
    citizen.fill("input[name=code]", _code_from_outbox(browser, server, "13700001111"))
    citizen.check("input[name=category][value=complain]")
    citizen.fill("input[name=title]", title)
    citizen.fill("textarea[name=content]", "本人所在公司已拖欠三个月工资，请求协调。")
    assert not citizen.locator("input[name=wants_public]").is_checked(), "publication is opt-in"
    follow(citizen, "form.portal-form button.primary")
    code = citizen.locator("[data-letter-code]").inner_text().strip()
    password = citizen.locator("[data-letter-password]").inner_text().strip()

    work(browser, server, "mailbox_clerk", title, lambda p: p.check("input[name=screening][value=valid]"))

    def instruct(page: Any) -> None:
        page.select_option("select[name=handle_depts]", ["zjj"])
        page.fill("textarea[name=opinion]", "请研究答复")

    work(browser, server, "mayor_wang", title, instruct)
    with signed_in(browser, server, "mayor_wang") as page:
        page.goto(f"{server}/inbox/?q={title}")
        assert page.locator("table.list tbody a", has_text=title).count() == 0  # the department answers first
    work(browser, server, "zjj_clerk", title, lambda p: p.fill("textarea[name=reply]", "已责成劳动监察部门介入。"))

    def approve_and_ask_to_publish(page: Any) -> None:
        consent = page.locator("section.earlier").inner_text()
        assert re.search(r"来信人同意公开\s*否", consent), consent  # the leader sees the refusal
        page.check("input[name=review][value=approve]")
        page.select_option("select[name=publish]", "True")

    work(browser, server, "mayor_wang", title, approve_and_ask_to_publish, "daily-letter-review")
    citizen.goto(f"{server}/portal/mailbox/replies")
    assert title not in citizen.content(), "a reply the writer did not allow is not on the portal"
    citizen.goto(f"{server}/portal/mailbox/query")
    citizen.fill("input[name=letter_code]", code)
    citizen.fill("input[name=password]", password)
    follow(citizen, "form.portal-form button.primary")
    assert "已责成劳动监察部门介入" in citizen.locator("[data-reply]").inner_text(), "the writer still reads it"
    assert "不公开" in citizen.content()
    screenshot(citizen, "daily-letter-private")
    context.close()
