"""What a request costs the database: the statements the daily pages run, counted, and the statements
built once and reused with each user's values (a reused statement must never carry the last user's)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from engine.flow import instances, tasks
from engine.org import directory as org
from webapp.extensions import db
from webapp.inbox import queries
from webapp.inbox.queries import InboxFilter


def _submitted(app: Flask, who: str, title: str) -> tuple[int, str]:
    with app.app_context():
        s = db.session()
        now = app.config["GOVFLOW_CLOCK"].now()
        inst = instances.start(s, who, now, "leave_request", {"days": 2}, title=title)
        [apply] = tasks.open_for_instance(s, inst.id)
        tasks.complete(s, who, now, apply.id, {"days": 2})
        [review] = tasks.open_for_instance(s, inst.id)
        s.commit()
        return inst.id, review.id


@contextmanager
def _counted(app: Flask) -> Iterator[list[str]]:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "BEGIN")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_statements_per_page_of_a_working_day(app: Flask, as_user: Any) -> None:
    _, review = _submitted(app, "zhang", "张三请假两天")
    head = as_user("li")
    head.get("/inbox/")  # the first request of a process fills its caches: measure the ones after
    report = {}
    for label, path in [("inbox", "/inbox/"), ("task", f"/inbox/tasks/{review}"), ("done", "/inbox/?tab=done")]:
        with _counted(app) as seen:
            assert head.get(path).status_code == 200
        report[label] = len(seen)
    with _counted(app) as seen:
        assert head.post(f"/inbox/tasks/{review}/complete",
                         data={"approved": "true", "opinion": "同意"}).status_code in (302, 303)
    report["complete"] = len(seen)
    # Measured when the header counts were merged and the list statements prebuilt (before: 12 for the
    # inbox); a new query per request shows here first.
    assert report["inbox"] <= 9 and report["done"] <= 10, report
    assert report["task"] <= 19 and report["complete"] <= 19, report


def test_a_reused_list_statement_takes_each_users_values(app: Flask, as_user: Any) -> None:
    """The 待办 and 已办 statements are built once per filter shape: the values of one request (user, groups,
    search text, page) must never stay in them for the next."""
    first, _ = _submitted(app, "zhang", "张三请假两天")
    second, _ = _submitted(app, "zhang", "李四出差一天")
    with app.app_context():
        s = db.session()
        org.create_user(s, "zhou", groups=["dept_head"], department="szfb")
        s.commit()
        titles = lambda who, **kw: sorted(r["title"] for r in queries.todo(s, who, InboxFilter(**kw)).rows)  # noqa: E731
        assert titles("li") == ["张三请假两天", "李四出差一天"]
        assert titles("zhang") == []          # same shape, another user: not the head's rows
        assert titles("li", text="出差") == ["李四出差一天"]
        assert titles("li", text="张三") == ["张三请假两天"]  # same shape, another needle
        assert titles("li", text=str(first)) == ["张三请假两天"]
        assert titles("li", text=str(second)) == ["李四出差一天"]
        pages = titles("zhou", per_page=1, page=1) + titles("zhou", per_page=1, page=2)
        assert sorted(pages) == ["张三请假两天", "李四出差一天"]  # same statement, another offset
        assert queries.todo(s, "zhou", InboxFilter(per_page=1, page=3)).total == 2  # past the end: count alone
        assert queries.done(s, "zhang").total == 2 and queries.done(s, "li").total == 0
