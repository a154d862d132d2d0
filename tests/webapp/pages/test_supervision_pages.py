"""电子监察 pages through the test client: live clocks, warnings, overdue list, reports and charts, CSV and
XLSX exports, 督办单 from issue to reply and close, urging, and who may see what."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from engine.clocks import lifecycle as clocks
from engine.clocks.models import Clock
from engine.flow import definitions, instances, tasks
from engine.gov.models import SupervisionOrder
from engine.org import directory as org
from engine.org import notify
from tests.conftest import NOW
from webapp import demo
from webapp.extensions import db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn"


@dataclass
class World:
    """Clocks in every state: red and yellow leave reviews (szfb, li), a paused licence step and its case
    clock (fgw, clerk), a licence finished on time with an extension and a pause, and one finished late
    whose case clock is now overdue."""

    red: int
    yellow: int
    paused: int
    paused_case: int
    late_case: int
    red_case: int
    late_case_clock: int


def _leave(s: Any, start: datetime, title: str) -> tuple[int, int]:
    inst = instances.start(s, "zhang", start, "leave_request", {"days": 2}, title=title)
    [apply] = tasks.open_for_instance(s, inst.id)
    tasks.complete(s, "zhang", start, apply.id, {"days": 2, "reason": "事假"})
    [review] = tasks.open_for_instance(s, inst.id)
    clock = clocks.start_clock(s, None, start, "countersign_reply", instance_id=inst.id, task_id=review.id,
                               element_id=review.element_id, responsible="li", department_code="szfb")
    return inst.id, clock.id


def _licence(s: Any, start: datetime, title: str) -> tuple[int, int]:
    inst = instances.start(s, "clerk", start, "clock_review", {}, title=title)
    step = s.scalar(select(Clock.id).where(Clock.instance_id == inst.id, Clock.task_id.is_not(None)))
    return inst.id, int(step)


def _complete(s: Any, instance_id: int, element: str, when: datetime) -> None:
    [row] = [t for t in tasks.open_for_instance(s, instance_id) if t.element_id == element]
    tasks.complete(s, "clerk", when, row.id, {})


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        s = db.session()
        clerk = org.create_user(s, "clerk", groups=["fgw_clerk"], department="fgw", display_name="许经办")
        clerk.supervisor_id = org.get_user(s, "fgw_leader").id
        definitions.deploy(s, "admin", NOW, [("clock_review.bpmn", (FIXTURES / "clock_review.bpmn").read_bytes())])
        red_case, red = _leave(s, NOW - timedelta(days=14), "超期未批的请假")
        _, yellow = _leave(s, NOW - timedelta(days=9), "即将到期的请假")
        paused_case, paused = _licence(s, NOW - timedelta(days=3), "专家评审中的许可")
        clocks.pause_clock(s, "clerk", NOW - timedelta(days=1), paused, "专家评审", "请专家论证")
        done, done_step = _licence(s, NOW - timedelta(days=20), "按时办结的许可")
        start = NOW - timedelta(days=20)
        clocks.extend_clock(s, "clerk", start + timedelta(days=1), done_step, 5, "情况复杂", "fgw_leader")
        clocks.pause_clock(s, "clerk", start + timedelta(days=2), done_step, "专家评审")
        clocks.resume_clock(s, "clerk", start + timedelta(days=4), done_step)
        _complete(s, done, "decide", NOW - timedelta(days=10))
        _complete(s, done, "archive", NOW - timedelta(days=10))
        late_case, _ = _licence(s, NOW - timedelta(days=40), "超期办结的许可")
        _complete(s, late_case, "decide", NOW - timedelta(days=2))
        for clock_id in s.scalars(select(Clock.id).where(Clock.active.is_(True))).all():
            clocks.check_clock(s, NOW, clock_id)
        late_clock = s.scalar(select(Clock.id).where(Clock.instance_id == late_case, Clock.task_id.is_(None)))
        paused_case_clock = s.scalar(select(Clock.id).where(Clock.instance_id == paused_case,
                                                            Clock.task_id.is_(None)))
        s.commit()
        return World(red, yellow, paused, int(paused_case_clock), late_case, red_case, int(late_clock))


def _rows(client: FlaskClient, url: str) -> list[str]:
    """The data-clock ids of a list page, in order."""
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return re.findall(r'data-clock="(\d+)"', page.get_data(as_text=True))


def _tr(text: str, clock_id: int) -> str:
    """One list row's markup."""
    found = re.search(rf'<tr [^>]*data-clock="{clock_id}".*?</tr>', text, re.S)
    assert found, f"no row for clock {clock_id}"
    return found.group(0)


def _csv(client: FlaskClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def _xlsx(client: FlaskClient, url: str) -> list[tuple[Any, ...]]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    return list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))


def test_the_live_list_shows_every_running_clock_soonest_due_first(as_user: Any, world: World) -> None:
    client = as_user("supervisor")
    ids = _rows(client, "/supervision/")
    assert sorted(ids) == sorted(str(i) for i in (world.red, world.yellow, world.paused, world.paused_case,
                                                   world.late_case_clock))
    assert ids[0] == str(world.late_case_clock)  # due early in October: the first to have run out
    text = client.get("/supervision/live").get_data(as_text=True)
    assert 'data-total="5"' in text and "会签回复" in text and "本机关公文处理办法" in text  # policy and legal basis
    assert re.search(r'data-status="overdue">[^<]*<strong>2</strong>', text)
    assert re.search(r'data-status="paused">[^<]*<strong>1</strong>', text)
    assert f'href="/instances/{world.red_case}"' in text  # a click opens the case
    assert "暂停中" in text and "李四" not in text and "li" in text


def test_live_filters_narrow_by_process_department_handler_status_and_due_period(as_user: Any,
                                                                                 world: World) -> None:
    client = as_user("mayor_wang")
    fgw = {str(world.paused), str(world.paused_case), str(world.late_case_clock)}
    assert set(_rows(client, "/supervision/?department=fgw")) == fgw
    assert set(_rows(client, "/supervision/?process=clock_review")) == fgw
    assert set(_rows(client, "/supervision/?handler=li")) == {str(world.red), str(world.yellow)}
    assert _rows(client, "/supervision/?status=paused") == [str(world.paused)]
    assert _rows(client, "/supervision/?status=warned") == [str(world.yellow)]
    assert _rows(client, "/supervision/?handler=li&status=overdue") == [str(world.red)]
    assert set(_rows(client, "/supervision/?due_from=2026-10-20&due_to=2026-11-04")) == {str(world.red),
                                                                                        str(world.yellow)}
    bad = client.get("/supervision/?due_from=31/12/2026")
    assert bad.status_code == 200 and "YYYY-MM-DD" in bad.get_data(as_text=True)


def test_the_live_list_pages_twenty_at_a_time(app: Flask, as_user: Any, world: World) -> None:
    with app.app_context():
        s = db.session()
        for n in range(21):
            _leave(s, NOW - timedelta(hours=n + 1), f"第{n}件请假")
        s.commit()
    client = as_user("supervisor")
    first, second = _rows(client, "/supervision/?handler=li"), _rows(client, "/supervision/?handler=li&page=2")
    assert len(first) == 20 and len(second) == 3 and not set(first) & set(second)
    assert 'href="/supervision/?handler=li&amp;page=2"' in client.get("/supervision/?handler=li").get_data(as_text=True)


def test_live_exports_match_the_filtered_list_in_csv_and_xlsx(as_user: Any, world: World) -> None:
    client = as_user("supervisor")
    rows = _csv(client, "/supervision/?department=fgw&format=csv")
    assert {r["案件编号"] for r in rows} == {str(world.paused_case), str(world.late_case)}
    assert len(rows) == 3 and {r["部门"] for r in rows} == {"市发展和改革委员会"}
    paused = next(r for r in rows if r["状态"] == "暂停")
    assert paused["标题"] == "专家评审中的许可" and paused["暂停次数"] == "1" and paused["法定依据"].startswith("《中华")
    sheet = _xlsx(client, "/supervision/?handler=li&format=xlsx")
    assert sheet[0][:3] == ("案件编号", "标题", "流程") and len(sheet) == 3
    red = next(r for r in sheet[1:] if r[1] == "超期未批的请假")
    header = list(sheet[0])
    assert red[header.index("预警")] == "红牌" and red[header.index("剩余工作日")] < 0
    assert isinstance(red[header.index("开始时间")], datetime)


def test_warning_lists_show_who_was_told_and_when_newest_first(as_user: Any, world: World) -> None:
    client = as_user("supervisor")
    assert _rows(client, "/supervision/warnings") == [str(world.red), str(world.late_case_clock)]
    assert _rows(client, "/supervision/warnings?level=yellow") == [str(world.yellow)]
    text = client.get("/supervision/warnings").get_data(as_text=True)
    told = re.search(r'<td class="notified"[^>]*>(.*?)</td>', _tr(text, world.late_case_clock), re.S)
    assert told and "许经办、冯局长 (发展和改革委员会)" in told.group(1) and "2026-11-02 09:00" in told.group(1)
    assert _rows(client, "/supervision/warnings?department=szfb") == [str(world.red)]
    rows = _csv(client, "/supervision/warnings?level=yellow&format=csv")
    assert [r["标题"] for r in rows] == ["即将到期的请假"] and rows[0]["通知对象"] == "li"
    sheet = _xlsx(client, "/supervision/warnings?level=red&format=xlsx")
    assert [r[1] for r in sheet[1:]] == ["超期未批的请假", "超期办结的许可"]


def test_urging_from_a_warning_reaches_the_holder_once_an_hour(app: Flask, as_user: Any, world: World) -> None:
    client = as_user("supervisor")
    back = "/supervision/warnings?level=red"
    done = client.post(f"/supervision/clocks/{world.red}/urge", data={"note": "请今日审批", "next": back})
    assert done.status_code == 302 and done.headers["Location"].endswith(back)
    again = client.post(f"/supervision/clocks/{world.red}/urge", data={"next": "https://evil.example/"},
                        follow_redirects=True)
    assert "一小时内已催办过" in again.get_data(as_text=True)
    case = client.post(f"/supervision/clocks/{world.late_case_clock}/urge", follow_redirects=True)
    assert "已催办：许经办" in case.get_data(as_text=True)
    with app.app_context():
        s = db.session()
        assert [n.body for n in notify.list_inapp(s, "li") if n.kind == "urge"] == ["请今日审批"]
        assert [n.kind for n in notify.list_inapp(s, "clerk")].count("urge") == 1
    text = client.get("/supervision/warnings").get_data(as_text=True)
    assert 'data-urged-by="supervisor"' in _tr(text, world.red)
    assert 'data-urged-by="supervisor"' in _tr(text, world.late_case_clock)  # its open step was urged
    assert 'data-urged-by' not in _tr(as_user("supervisor").get("/supervision/warnings?level=yellow").get_data(
        as_text=True), world.yellow)
    assert as_user("zhang").post(f"/supervision/clocks/{world.red}/urge").status_code == 403
    # A city leader oversees every case: they may open it from the lists and urge it.
    leader = as_user("mayor_wang")
    urged = leader.post(f"/supervision/clocks/{world.yellow}/urge", data={"note": "市长催办"}, follow_redirects=True)
    assert "已催办" in urged.get_data(as_text=True)
    with app.app_context():
        clock = db.session().get(Clock, world.yellow)
        assert clock is not None and clock.instance_id is not None
    assert leader.get(f"/instances/{clock.instance_id}").status_code == 200


def test_an_order_is_issued_replied_to_and_closed(app: Flask, as_user: Any, world: World) -> None:
    boss, li = as_user("supervisor"), as_user("li")
    form = boss.get(f"/supervision/orders/new?clock_id={world.red}").get_data(as_text=True)
    assert "超期未批的请假" in form and '<option value="li" selected>' in form and 'value="2026-11-09"' in form
    data = {"clock_id": str(world.red), "addressee": "li", "due_date": "2026-11-06", "demand": ""}
    missing = boss.post("/supervision/orders", data=data)
    assert missing.status_code == 400 and "请填写督办要求" in missing.get_data(as_text=True)
    for bad, words in (("2026-13-01", "YYYY-MM-DD"), ("2026-10-30", "应晚于今天")):
        refused = boss.post("/supervision/orders", data={**data, "demand": "请办理", "due_date": bad})
        assert refused.status_code == 400 and words in refused.get_data(as_text=True)
    issued = boss.post("/supervision/orders", data={**data, "demand": "请于11月6日前办结并报告"})
    assert issued.status_code == 302
    order_id = int(issued.headers["Location"].rsplit("/", 1)[1])
    page = li.get(f"/supervision/orders/{order_id}")
    assert page.status_code == 200 and "请于11月6日前办结并报告" in page.get_data(as_text=True)
    assert 'data-open-orders="1"' in page.get_data(as_text=True), "the header points the addressee to it"
    assert 'name="reply"' in page.get_data(as_text=True) and li.get("/supervision/").status_code == 403
    assert f'data-order="{order_id}"' in li.get("/supervision/orders/mine").get_data(as_text=True)
    with app.app_context():
        [note] = [n for n in notify.list_inapp(db.session(), "li") if n.kind == "supervision_order"]
        assert f"/supervision/orders/{order_id}" in note.body
    assert li.post(f"/supervision/orders/{order_id}/reply", data={"reply": " "},
                   follow_redirects=True).get_data(as_text=True).count("请填写办理情况") == 1
    assert li.post(f"/supervision/orders/{order_id}/reply", data={"reply": "已于今日审批同意"}).status_code == 302
    assert li.post(f"/supervision/orders/{order_id}/close", data={"note": "x"}).status_code == 403
    assert boss.post(f"/supervision/orders/{order_id}/close", data={"note": "回复属实"}).status_code == 302
    with app.app_context():
        order = db.session().get(SupervisionOrder, order_id)
        assert order is not None and (order.status, order.reply, order.closed_by) == ("closed", "已于今日审批同意",
                                                                                    "supervisor")
    assert f'data-order="{order_id}"' in boss.get("/supervision/orders?status=closed").get_data(as_text=True)
    assert f'data-order="{order_id}"' not in li.get("/supervision/orders/mine").get_data(as_text=True)


def test_only_the_addressee_issuer_and_supervisors_see_an_order(app: Flask, as_user: Any, world: World) -> None:
    boss = as_user("supervisor")
    issued = boss.post("/supervision/orders", data={"clock_id": str(world.paused), "department": "fgw",
                                                    "due_date": "2026-11-06", "demand": "请说明专家评审进度"})
    order_id = int(issued.headers["Location"].rsplit("/", 1)[1])
    assert 'data-addressee="fgw_leader"' in as_user("fgw_leader").get(f"/supervision/orders/{order_id}").get_data(
        as_text=True)
    assert as_user("mayor_wang").get(f"/supervision/orders/{order_id}").status_code == 200
    for stranger in ("zhang", "li", "clerk"):
        assert as_user(stranger).get(f"/supervision/orders/{order_id}").status_code == 404
        assert as_user(stranger).post(f"/supervision/orders/{order_id}/reply", data={"reply": "x"}).status_code == 404
    assert as_user("mayor_wang").post(f"/supervision/orders/{order_id}/reply", data={"reply": "x"}).status_code == 403
    assert as_user("zhang").post("/supervision/orders", data={"clock_id": str(world.red)}).status_code == 403
    assert as_user("zhang").get(f"/supervision/orders/new?clock_id={world.red}").status_code == 403
    assert boss.get("/supervision/orders/new?clock_id=999999").status_code == 404
    assert app.test_client().get(f"/supervision/orders/{order_id}").status_code == 302  # log in first
    assert app.test_client().get("/supervision/orders/mine").status_code == 302


def test_an_unanswered_order_past_its_deadline_shows_as_overdue(app: Flask, as_user: Any, world: World) -> None:
    boss = as_user("supervisor")
    issued = boss.post("/supervision/orders", data={"clock_id": str(world.red), "addressee": "li",
                                                    "due_date": "2026-11-03", "demand": "请明日办结"})
    order_id = int(issued.headers["Location"].rsplit("/", 1)[1])
    assert f'data-order="{order_id}"' not in boss.get("/supervision/orders?status=overdue").get_data(as_text=True)
    app.config["GOVFLOW_CLOCK"].set(datetime(2026, 11, 3, 16, 0, tzinfo=NOW.tzinfo))  # 4 November, 00:00 China
    listed = boss.get("/supervision/orders?status=overdue").get_data(as_text=True)
    assert re.search(rf'data-order="{order_id}".*?data-status="overdue"', listed, re.S)
    page = as_user("li").get(f"/supervision/orders/{order_id}").get_data(as_text=True)
    assert "已超期" in page and 'name="reply"' in page
    from webapp import runner

    runner.make_tick(app, app.config["GOVFLOW_CLOCK"])()  # the scheduler stores it and tells both sides
    with app.app_context():
        assert db.session().get(SupervisionOrder, order_id).status == "overdue"  # type: ignore[union-attr]
    assert as_user("li").post(f"/supervision/orders/{order_id}/reply", data={"reply": "迟复"}).status_code == 302
    assert "逾期回复" in boss.get(f"/supervision/orders/{order_id}").get_data(as_text=True)


def test_the_overdue_list_holds_overdue_and_late_finished_clocks_and_exports(as_user: Any, world: World) -> None:
    client = as_user("supervisor")
    ids = _rows(client, "/supervision/overdue")
    with_late_step = set(ids) - {str(world.red), str(world.late_case_clock)}
    assert {str(world.red), str(world.late_case_clock)} <= set(ids) and len(with_late_step) == 1
    assert _rows(client, "/supervision/overdue?department=szfb") == [str(world.red)]
    rows = _csv(client, "/supervision/overdue?format=csv")
    assert {r["状态"] for r in rows} == {"红牌超期", "超期办结"} and all(int(r["超期工作日"]) > 0 for r in rows)
    old = _rows(client, "/supervision/overdue?from=2026-01-01&to=2026-06-30")
    assert set(old) == {str(world.red), str(world.late_case_clock)}  # overdue now, whatever the period


def test_reports_per_department_and_handler_with_charts_and_exports(as_user: Any, world: World) -> None:
    client = as_user("supervisor")
    text = client.get("/supervision/reports").get_data(as_text=True)
    fgw = re.search(r'data-key="fgw">(.*?)</tr>', text, re.S)
    assert fgw and re.findall(r"<td[^>]*>([^<]*)</td>", fgw.group(1))[:5] == ["市发展和改革委员会", "3", "2", "1",
                                                                              "66.7%"]
    assert 'data-key="clerk"' in text and "许经办" in text
    assert text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 3
    assert re.search(r'<rect class="bar" x="190" y="\d+" width="260.\d"', text)  # 2/3 of a 390 wide scale
    assert "<polyline" in text and "<script" not in text
    rows = _csv(client, "/supervision/reports?format=csv&table=departments")
    [row] = rows
    assert (row["部门代码"], row["办结件数"], row["按时办结率(%)"], row["延期件数"], row["延期天数"], row["暂停次数"]) == (
        "fgw", "3", "66.7", "1", "5", "1")
    sheet = _xlsx(client, "/supervision/reports?format=xlsx&table=handlers")
    assert sheet[0][:3] == ("用户名", "姓名", "部门") and sheet[1][:4] == ("clerk", "许经办", "市发展和改革委员会", 3)
    empty = _csv(client, "/supervision/reports?format=csv&table=departments&from=2026-01-01&to=2026-01-31")
    assert empty == []


def test_the_trend_counts_by_week_or_month_and_refuses_too_many_weeks(as_user: Any, world: World) -> None:
    client = as_user("supervisor")
    weeks = _csv(client, "/supervision/reports?format=csv&table=trend&from=2026-10-01&to=2026-11-02")
    assert [r["周期"] for r in weeks][:2] == ["2026-W40", "2026-W41"] and len(weeks) == 6
    assert sum(int(r["办结件数"]) for r in weeks) == 3
    assert {r["周期"]: r["超期办结"] for r in weeks}["2026-W44"] == "1"  # the late decision on 31 October
    months = _xlsx(client, "/supervision/reports?format=xlsx&table=trend&unit=month&from=2026-09-15&to=2026-11-02")
    assert [r[0] for r in months[1:]] == ["2026-09", "2026-10", "2026-11"]
    assert [r[3] for r in months[1:]] == [0, 3, 0]
    long = client.get("/supervision/reports?from=2020-01-01&to=2026-11-02&unit=week").get_data(as_text=True)
    assert "统计区间过长" in long


def test_an_export_past_the_limit_is_refused_not_cut_short(as_user: Any, world: World,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("webapp.supervision.queries.EXPORT_MAX", 3)
    monkeypatch.setattr("webapp.supervision.reports.EXPORT_MAX", 3)
    client = as_user("supervisor")
    refused = client.get("/supervision/?department=&format=xlsx")
    assert refused.status_code == 302 and "format" not in refused.headers["Location"]
    assert "超过导出上限 3 条" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert len(_csv(client, "/supervision/?department=fgw&format=csv")) == 3  # within the limit: every row
    assert client.get("/supervision/overdue?format=csv").status_code == 200  # exactly 3 overdue rows


def test_export_text_that_looks_like_a_formula_stays_text(app: Flask, as_user: Any, world: World) -> None:
    with app.app_context():
        s = db.session()
        _leave(s, NOW - timedelta(hours=2), "=HYPERLINK(\"http://evil\")")
        s.commit()
    client = as_user("supervisor")
    titles = [r["标题"] for r in _csv(client, "/supervision/?format=csv")]
    assert "'=HYPERLINK(\"http://evil\")" in titles
    sheet = load_workbook(io.BytesIO(client.get("/supervision/?format=xlsx").data)).active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)


def test_pages_need_a_supervisor_or_leader(app: Flask, as_user: Any) -> None:
    urls = ["/supervision/", "/supervision/live", "/supervision/warnings", "/supervision/overdue",
            "/supervision/reports", "/supervision/orders", "/supervision/orders/new?instance_id=1",
            "/supervision/?format=csv", "/supervision/reports?format=xlsx"]
    for url in urls:
        assert as_user("szfb_clerk").get(url).status_code == 403, url
        assert app.test_client().get(url).status_code == 302, url
    for who in ("supervisor", "mayor_wang", "admin"):
        assert as_user(who).get("/supervision/reports").status_code == 200
    assert as_user("szfb_clerk").get("/supervision/orders/mine").status_code == 200  # their own orders


def test_the_demo_cases_appear_with_their_warnings(app: Flask, as_user: Any) -> None:
    with app.app_context():
        s = db.session()
        demo.seed(s, NOW)
        s.commit()
    client = as_user("mayor_wang")
    red = client.get("/supervision/warnings").get_data(as_text=True)
    assert "学校周边交通拥堵" in red and "张三病假两天（超期未批）" in red and "关于开展安全生产大检查的通知" in red
    yellow = client.get("/supervision/warnings?level=yellow").get_data(as_text=True)
    assert "张三事假一天（即将超期）" in yellow and "李四 (部门负责人)" in yellow  # the person, not the login
    live = _csv(client, "/supervision/?process=licence_joint&format=csv")
    assert live and {r["流程"] for r in live} == {"联合审批（并联审批）"}
    assert client.get("/supervision/reports").status_code == 200
