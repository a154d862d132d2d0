"""Every page of every role in real Chromium: axe-core finds no serious or critical accessibility
violation (every field has a label, contrast, names of buttons and links), and on a phone 390 px wide the
daily pages fit without sideways scrolling, with every button within reach."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import login, screenshot

ROLE_PAGES = {
    "lisi": ["/inbox/", "/inbox/?tab=done", "/inbox/start", "/notices/"],
    "mailbox_clerk": ["/inbox/mailbox?folder=all"],
    "supervisor": ["/supervision/", "/supervision/warnings", "/supervision/overdue", "/supervision/orders",
                   "/supervision/reports"],
    "designer": ["/designer/"],
    "admin": ["/admin/", "/admin/deputies", "/admin/calendar", "/admin/outbox"],
    "scjg_leader": ["/inbox/extensions"],
}
PUBLIC = ["/portal/", "/portal/mailbox/write", "/portal/mailbox/query", "/portal/licence/", "/portal/licence/query",
          "/login"]
PHONE = {"width": 390, "height": 844}
SERIOUS = ("serious", "critical")


def _violations(page: Any) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(n['target'][0] for n in v['nodes'][:3])}"
            for v in results.response["violations"] if v.get("impact") in SERIOUS]


def _first(page: Any, pattern: str) -> str | None:
    found = re.search(pattern, page.content())
    return found.group(0) if found else None


def _pages(page: Any, base: str, user: str) -> list[str]:
    """The role's pages, plus the first task page and the first case page its lists link to."""
    paths = list(ROLE_PAGES.get(user, []))
    page.goto(f"{base}/inbox/")
    task = _first(page, r'/inbox/tasks/[0-9a-f-]{36}')
    if task is None:
        return paths
    page.goto(f"{base}{task}")
    case = _first(page, r'/instances/\d+')  # the task page's way to its case
    return paths + [p for p in (task, case) if p]


@pytest.mark.parametrize("user", sorted(ROLE_PAGES))
def test_no_serious_accessibility_violation_on_any_page_of_a_role(server: str, page: Any, user: str) -> None:
    login(page, server, user)
    found = {}
    for path in _pages(page, server, user):
        page.goto(f"{server}{path}")
        page.wait_for_load_state()
        if bad := _violations(page):
            found[path] = bad
    assert found == {}, found


def test_no_serious_accessibility_violation_on_the_public_portal(server: str, page: Any) -> None:
    found = {}
    for path in PUBLIC:
        page.goto(f"{server}{path}")
        page.wait_for_load_state()
        if bad := _violations(page):
            found[path] = bad
    assert found == {}, found


def _fits(page: Any) -> list[str]:
    """What a phone user could not reach: sideways scrolling, or a button or link beyond the screen."""
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"page is {width}px wide")
    outside = page.evaluate("""() => [...document.querySelectorAll('button, a, input, select, textarea')]
        .filter(e => e.offsetParent !== null)
        .filter(e => { const r = e.getBoundingClientRect(); return r.right > window.innerWidth + 1 || r.left < -1; })
        .map(e => (e.innerText || e.name || e.tagName).trim().slice(0, 30))""")
    problems += [f"out of reach: {name}" for name in outside]
    return problems


@pytest.mark.parametrize(("user", "paths"), [
    ("lisi", ["/inbox/", "/notices/"]),
    ("mailbox_clerk", ["/inbox/mailbox?folder=all"]),
    ("supervisor", ["/supervision/", "/supervision/warnings", "/supervision/overdue", "/supervision/reports"]),
])
def test_the_daily_pages_fit_a_phone(server: str, browser: Any, user: str, paths: list[str]) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        login(phone, server, user)
        found = {}
        steps = [p for p in _pages(phone, server, user) if p.startswith(("/inbox/tasks/", "/instances/"))]
        for path in paths + steps:  # its lists, a task page and its case page
            phone.goto(f"{server}{path}")
            phone.wait_for_load_state()
            if bad := _fits(phone):
                found[path] = bad
            screenshot(phone, f"phone-{user}-{re.sub(r'[^a-z0-9]+', '-', path)}")
        assert found == {}, found
    finally:
        context.close()
