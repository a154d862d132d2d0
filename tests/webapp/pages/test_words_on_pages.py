"""Every page of the demo, for every role, speaks the users' words: no Python repr (None, True, {'…'}),
no stored status or event id, no group code or login name where a person or group is meant, no English
left inside the Chinese pages. The crawl follows the links each person sees, as they would."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NOW
from webapp import demo
from webapp.extensions import db

ROLES = ["zhangsan", "lisi", "wangwu", "szfb_clerk", "szfb_head", "fgw_leader", "zjj_clerk", "mailbox_clerk",
         "window_clerk", "mayor_wang", "supervisor", "designer", "admin"]
START = ["/inbox/", "/inbox/?tab=done", "/inbox/?tab=copies", "/inbox/?tab=started", "/inbox/start",
         "/inbox/mailbox", "/supervision/", "/supervision/warnings", "/supervision/overdue", "/supervision/orders",
         "/supervision/reports", "/designer/", "/admin/", "/admin/deputies", "/admin/calendar", "/admin/outbox",
         "/notices/"]
PUBLIC = ["/portal/", "/portal/mailbox/write", "/portal/mailbox/replies", "/portal/mailbox/query",
          "/portal/licence/", "/portal/licence/query"]
# Links worth following: pages a person reads. Not downloads, exports, or the language switch.
FOLLOW = re.compile(r"^/(inbox|instances|supervision|admin|portal|notices)/")
SKIP = re.compile(r"format=|/attachments/|/lang/|/logout|/export")
MAX_PAGES = 400

REPR = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|\{'|\['|'\]|'\}|\bdatetime\(|<[A-Za-z]+ object at")
STORED_WORDS = re.compile(r"\b(running|completed|cancelled|suspended|open|pending|approved|refused|replied|"
                          r"closed|overdue|warned|paused|submitted|reviewing|finished_on_time|finished_late|"
                          r"expired|rejected|yellow|red|none|error|warning|claim|complete|send_back|start|end|timer|message)\b")
IDENT = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")  # login names, group codes, element and status ids
# Pages where an administrator or designer works with the codes themselves (login names, process ids).
CODES_ALLOWED = re.compile(r"^/(admin|designer)/")


class _Text(HTMLParser):
    """The text a person reads (scripts and styles left out) and the links they can follow."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href)
        for name, value in attrs:  # what a screen reader or a hover also says
            if name in ("title", "aria-label", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _read(html: str) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts)), parser.links


def _problems(path: str, text: str) -> list[str]:
    found = [f"repr {m.group(0)!r}" for m in REPR.finditer(text)]
    found += [f"stored word {m.group(0)!r}" for m in STORED_WORDS.finditer(text)]
    if not CODES_ALLOWED.match(path):
        found += [f"code {m.group(0)!r}" for m in IDENT.finditer(text)]
    return found


def _crawl(client: FlaskClient, start: list[str]) -> dict[str, list[str]]:
    seen: set[str] = set()
    queue = list(start)
    bad: dict[str, list[str]] = {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        text, links = _read(response.get_data(as_text=True))
        problems = _problems(path, text)
        if problems:
            bad[path] = sorted(set(problems))
        for href in links:
            parts = urlsplit(href)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if not parts.netloc and FOLLOW.match(parts.path) and not SKIP.search(target) and target not in seen:
                queue.append(target)
    return bad


@pytest.fixture
def demo_app(app: Flask) -> Flask:
    with app.app_context():
        demo.seed(db.session(), NOW)
        db.session.commit()
    return app


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_person_reaches_speaks_their_words(demo_app: Flask, as_user: Any, username: str) -> None:
    bad = _crawl(as_user(username), START)
    assert bad == {}, "\n".join(f"{path}: {', '.join(found)}" for path, found in sorted(bad.items())[:30])


def test_the_public_portal_speaks_the_citizens_words(demo_app: Flask) -> None:
    bad = _crawl(demo_app.test_client(), PUBLIC)
    assert bad == {}, "\n".join(f"{path}: {', '.join(found)}" for path, found in sorted(bad.items())[:30])


def test_the_checker_finds_what_it_is_for() -> None:
    assert _problems("/inbox/", "状态 None · running · 发起人 szfb_clerk · {'a': 1}") == [
        "repr 'None'", "repr \"{'\"", "stored word 'running'", "code 'szfb_clerk'"]
    assert _problems("/admin/", "用户名 szfb_clerk") == []
    text, links = _read('<p title="x_y">a<script>var none_x = 1</script></p><a href="/inbox/?tab=done">已办</a>')
    assert "none_x" not in text and links == ["/inbox/?tab=done"]
