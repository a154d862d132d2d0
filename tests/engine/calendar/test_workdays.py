"""Working-day arithmetic on the official 2026 schedule (holidays and 调休 make-up days)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from engine.calendar import workdays
from engine.core.clock import CHINA_TZ
from engine.core.errors import InvalidInput
from engine.core.models import AuditEvent


@pytest.fixture
def cal(session, now) -> workdays.WorkCalendar:
    workdays.seed_official(session, now)
    return workdays.WorkCalendar(session)


def test_statutory_example(cal: workdays.WorkCalendar) -> None:
    due = cal.due_at(date(2026, 9, 28), 5, "wd")
    assert due.date == date(2026, 10, 10)  # Saturday, a make-up working day; not 2026-10-05
    assert due.due_at == datetime(2026, 10, 10, 16, 0, tzinfo=UTC)  # end of the day in China
    assert not due.provisional


# (start, n, unit, expected last day, provisional) - derived by hand from the 2026 State Council schedule:
# holidays 1-1..1-3, 2-15..2-23, 4-4..4-6, 5-1..5-5, 6-19..6-21, 9-25..9-27, 10-1..10-7;
# make-up working days Sun 1-4, Sat 2-14, Sat 2-28, Sat 5-9, Sun 9-20, Sat 10-10.
CASES = [
    (date(2025, 12, 31), 1, "wd", date(2026, 1, 4), False),    # New Year 1-1..1-3, then make-up Sunday
    (date(2026, 2, 12), 3, "wd", date(2026, 2, 24), False),    # 2-13, make-up 2-14, 春节, 2-24
    (date(2026, 2, 13), 1, "wd", date(2026, 2, 14), False),    # make-up Saturday before 春节
    (date(2026, 2, 27), 2, "wd", date(2026, 3, 2), False),     # make-up Saturday 2-28, then Monday
    (date(2026, 4, 3), 1, "wd", date(2026, 4, 7), False),      # 清明 4-4..4-6
    (date(2026, 4, 30), 1, "wd", date(2026, 5, 6), False),     # 劳动节 5-1..5-5
    (date(2026, 5, 6), 3, "wd", date(2026, 5, 9), False),      # make-up Saturday 5-9 counts
    (date(2026, 6, 18), 1, "wd", date(2026, 6, 22), False),    # 端午 6-19..6-21
    (date(2026, 9, 18), 1, "wd", date(2026, 9, 20), False),    # make-up Sunday 9-20
    (date(2026, 9, 24), 1, "wd", date(2026, 9, 28), False),    # 中秋 9-25..9-27
    (date(2026, 9, 21), 20, "wd", date(2026, 10, 26), False),  # across 中秋 and 国庆 with make-up 10-10
    (date(2026, 11, 2), 20, "wd", date(2026, 11, 30), False),  # 行政许可 20 working days, no holiday
    (date(2026, 11, 2), 45, "wd", date(2027, 1, 4), True),     # joint handling runs into unpublished 2027
    (date(2026, 12, 31), 1, "wd", date(2027, 1, 1), True),     # weekday rule only, flagged
    (date(2026, 11, 20), 0, "wd", date(2026, 11, 20), False),  # zero days: the start day itself
    (date(2026, 9, 17), 15, "cd", date(2026, 10, 8), False),   # ends 10-2 (国庆) -> next working day
    (date(2026, 11, 2), 15, "cd", date(2026, 11, 17), False),  # mailbox rule, plain Tuesday
    (date(2026, 1, 29), 5, "cd", date(2026, 2, 3), False),
    (date(2026, 2, 11), 3, "cd", date(2026, 2, 14), False),    # lands on a make-up Saturday: a working day
    (date(2026, 8, 1), 60, "cd", date(2026, 9, 30), False),    # 信访 60 days
    (date(2026, 4, 25), 10, "cd", date(2026, 5, 6), False),    # ends 5-5 (劳动节) -> 5-6
    (date(2026, 11, 6), 15, "cd", date(2026, 11, 23), False),  # ends Saturday 11-21 -> Monday 11-23
    (date(2026, 12, 20), 15, "cd", date(2027, 1, 4), True),    # ends Monday 2027-01-04, provisional
    (date(2026, 6, 5), 14, "cd", date(2026, 6, 22), False),    # ends 6-19 (端午) -> Monday 6-22
    # working days
    (date(2026, 1, 2), 1, "wd", date(2026, 1, 4), False),     # start on a holiday; 1-3 holiday, Sunday 1-4 worked
    (date(2026, 2, 13), 5, "wd", date(2026, 2, 27), False),    # make-up 2-14, 春节 2-15..2-23, 2-24..2-27
    (date(2026, 1, 26), 20, "wd", date(2026, 2, 28), False),   # 政府信息公开 20 days ends on make-up Saturday
    (date(2026, 1, 5), 45, "wd", date(2026, 3, 13), False),    # 45 days: 29 by 2-13, 2-14, 2-24..27, 2-28, 3-2..13
    (date(2026, 4, 20), 20, "wd", date(2026, 5, 20), False),   # 8 in April, 劳动节, 5-6..5-9 (make-up), 5-11..20
    (date(2026, 9, 17), 2, "wd", date(2026, 9, 20), False),    # 9-18, rest 9-19, make-up Sunday 9-20
    (date(2026, 12, 24), 5, "wd", date(2026, 12, 31), False),  # ends on the last published day: not flagged
    (date(2026, 12, 28), 5, "wd", date(2027, 1, 4), True),     # 12-29..31, 2027-01-01 by weekday rule, 1-4
    # calendar days ending on a holiday move to the next working day
    (date(2026, 3, 25), 10, "cd", date(2026, 4, 7), False),    # ends 4-4 (清明 4-4..4-6) -> 4-7
    (date(2025, 12, 25), 8, "cd", date(2026, 1, 4), False),    # ends 1-2 (元旦) -> make-up Sunday 1-4
    (date(2026, 2, 1), 15, "cd", date(2026, 2, 24), False),    # ends 2-16 (春节 to 2-23) -> 2-24
    (date(2026, 9, 10), 16, "cd", date(2026, 9, 28), False),   # ends 9-26 (中秋 9-25..9-27) -> 9-28
    (date(2026, 12, 19), 15, "cd", date(2027, 1, 4), True),    # ends Sunday 2027-01-03 -> Monday, flagged
    (date(2026, 12, 16), 15, "cd", date(2026, 12, 31), False),  # Thursday 12-31, no move
]


@pytest.mark.parametrize(("start", "n", "unit", "expected", "provisional"), CASES)
def test_limit_table(cal: workdays.WorkCalendar, start: date, n: int, unit: str, expected: date,
                     provisional: bool) -> None:
    due = cal.due_at(start, n, unit)
    assert (due.date, due.provisional, due.unit, due.n) == (expected, provisional, unit, n)
    # the limit expires at the end of its last day in China time (next day 00:00 +08:00), held as UTC
    assert due.due_at == datetime.combine(expected + timedelta(days=1), time(0), CHINA_TZ)
    assert due.due_at.utcoffset() == timedelta(0)
    assert due.due_at == datetime.combine(expected, time(16), UTC)


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 25


def test_calendar_limit_on_make_up_sunday_is_not_moved(cal: workdays.WorkCalendar) -> None:
    assert cal.due_at(date(2026, 9, 13), 7, "cd").date == date(2026, 9, 20)  # Sunday 9-20 is worked


def test_start_instant_is_read_in_china_time(cal: workdays.WorkCalendar) -> None:
    # 2026-09-27 20:00 UTC is 09-28 04:00 in China: the start day is the 28th.
    assert cal.due_at(datetime(2026, 9, 27, 20, tzinfo=UTC), 5, "wd").date == date(2026, 10, 10)
    # 2026-09-27 15:00 UTC is still the 27th in China: counting starts a day earlier.
    assert cal.due_at(datetime(2026, 9, 27, 15, tzinfo=UTC), 5, "wd").date == date(2026, 10, 9)


def test_working_days_between(cal: workdays.WorkCalendar) -> None:
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 9)) == 2   # 10-8, 10-9
    assert cal.working_days_between(date(2026, 10, 9), date(2026, 10, 12)) == 2  # make-up 10-10, 10-12
    assert cal.working_days_between(date(2026, 10, 9), date(2026, 10, 9)) == 0
    assert cal.working_days_between(date(2026, 11, 2), date(2026, 11, 30)) == 20


def test_working_days_between_china_instants_and_flag(cal: workdays.WorkCalendar) -> None:
    # 02-13 17:00 UTC is 02-14 01:00 in China: counting from the make-up Saturday, 春节, then 2-24..2-27
    assert cal.working_days_between(datetime(2026, 2, 13, 17, tzinfo=UTC), date(2026, 2, 27)) == 4
    assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5
    assert cal.working_days_between(date(2026, 10, 12), date(2026, 10, 1)) == 0
    assert not cal.spans_provisional(date(2026, 11, 2), date(2026, 12, 31))
    assert not cal.spans_provisional(date(2027, 3, 1), date(2027, 3, 1))
    assert cal.spans_provisional(date(2026, 12, 31), date(2027, 1, 1))


def test_kinds_of_days(cal: workdays.WorkCalendar) -> None:
    assert cal.kind_of(date(2026, 10, 3)) == "holiday"   # weekend inside 国庆
    assert cal.kind_of(date(2026, 10, 10)) == "makeup"
    assert cal.kind_of(date(2026, 10, 17)) == "rest"
    assert cal.kind_of(date(2026, 10, 16)) == "workday"
    assert not cal.is_workday(date(2026, 10, 3)) and cal.is_workday(date(2026, 10, 10))


def test_year_summary_counts_by_hand(cal: workdays.WorkCalendar) -> None:
    # 261 weekdays; 19 of them are holidays (元旦 2, 春节 6, 清明 1, 劳动节 3, 端午 1, 中秋 1, 国庆 5); +6 make-up
    assert cal.year_summary(2026) == {"year": 2026, "status": "official", "working_days": 248,
                                      "holidays": 33, "makeup_days": 6}
    assert cal.year_summary(2027) == {"year": 2027, "status": "provisional", "working_days": 261,
                                      "holidays": 0, "makeup_days": 0}


def test_provisional_year_is_flagged(cal: workdays.WorkCalendar) -> None:
    due = cal.due_at(date(2027, 3, 1), 5, "wd")  # weekday rule: Monday + 5 = Monday 3-8
    assert due.date == date(2027, 3, 8) and due.provisional
    assert cal.add_working_days(date(2027, 3, 1), 5) == (date(2027, 3, 8), True)
    assert cal.add_calendar_days(date(2026, 5, 1), 3) == (date(2026, 5, 6), False)


def test_bad_unit_refused(cal: workdays.WorkCalendar) -> None:
    with pytest.raises(InvalidInput, match="unit"):
        cal.due_at(date(2026, 1, 5), 3, "weeks")
    with pytest.raises(InvalidInput, match="negative"):
        cal.due_at(date(2026, 1, 5), -1, "wd")
    with pytest.raises(InvalidInput, match="negative"):
        cal.add_calendar_days(date(2026, 1, 5), -1)


def test_calendar_is_cached_per_transaction_and_dropped_on_change(session, now) -> None:
    workdays.seed_official(session, now)
    first = workdays.calendar_for(session)
    assert workdays.calendar_for(session) is first
    assert workdays.calendar_for(session, "xz") is not first
    workdays.set_day(session, "admin", now, date(2026, 11, 4), "holiday", "临时放假")
    again = workdays.calendar_for(session)
    assert again is not first and not again.is_workday(date(2026, 11, 4)) and first.is_workday(date(2026, 11, 4))


def test_admin_override_changes_results_and_notifies(session, now, cal: workdays.WorkCalendar,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[date]] = []
    monkeypatch.setattr(workdays, "ON_CALENDAR_CHANGE", [lambda s, when, days: seen.append(days)])
    workdays.set_day(session, "admin", now, date(2026, 10, 23), "holiday", "临时放假通知")
    after = workdays.WorkCalendar(session)
    assert after.due_at(date(2026, 9, 21), 20, "wd").date == date(2026, 10, 27)
    assert seen == [[date(2026, 10, 23)]]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar_set"))
    assert event is not None and event.actor == "admin" and event.detail["note"] == "临时放假通知"
    with pytest.raises(InvalidInput, match="kind"):
        workdays.set_day(session, "admin", now, date(2026, 10, 24), "sometimes", "")


def test_regional_override_only_applies_to_its_region(session, now, cal: workdays.WorkCalendar) -> None:
    workdays.set_day(session, "admin", now, date(2026, 11, 3), "holiday", "地方节日", region="xz")
    assert workdays.WorkCalendar(session, region="xz").due_at(date(2026, 11, 2), 1, "wd").date == date(2026, 11, 4)
    assert workdays.WorkCalendar(session).due_at(date(2026, 11, 2), 1, "wd").date == date(2026, 11, 3)
    # a regional working day overrides a national holiday, for that region only
    workdays.set_day(session, "admin", now, date(2026, 10, 5), "workday", "地方安排", region="sh")
    assert workdays.WorkCalendar(session, region="sh").due_at(date(2026, 9, 30), 1, "wd").date == date(2026, 10, 5)
    assert workdays.WorkCalendar(session).due_at(date(2026, 9, 30), 1, "wd").date == date(2026, 10, 8)
    assert workdays.WorkCalendar(session, region="xz").is_workday(date(2026, 10, 5)) is False


def test_national_override_with_no_region_makes_a_holiday_a_working_day(session, now,
                                                                       cal: workdays.WorkCalendar) -> None:
    row = workdays.set_day(session, "admin", now, date(2026, 10, 7), "workday", "补充通知", region=None)
    assert (row.region, row.source, row.updated_by, row.kind) == ("", "admin", "admin", "workday")
    assert workdays.WorkCalendar(session).due_at(date(2026, 9, 30), 1, "wd").date == date(2026, 10, 7)
    assert cal.due_at(date(2026, 9, 30), 1, "wd").date == date(2026, 10, 8)  # a loaded calendar is a snapshot


def test_seed_is_idempotent_and_marks_years(session, now) -> None:
    first = workdays.seed_official(session, now)
    assert first > 100 and workdays.seed_official(session, now) == 0
    cal = workdays.WorkCalendar(session)
    assert not cal.is_provisional(date(2026, 5, 1)) and cal.is_provisional(date(2027, 5, 1))
    names = {d.day: d.name for d in workdays.days_of_year(session, 2026)}
    assert names[date(2026, 10, 1)] == "国庆节" and names[date(2026, 2, 14)] == "春节"
    assert names[date(2026, 10, 4)] == "国庆节" and names[date(2026, 9, 20)] == "国庆节"  # weekend day, make-up
    notes = {d.day: d.note for d in workdays.days_of_year(session, 2026)}
    assert "2026年部分节假日安排" in (notes[date(2026, 10, 10)] or "")
