"""Statutory clocks: start, pause, resume, extend, set a 督办 deadline, finish, and the scheduler's check.

Every change writes an audit event and recomputes due_at, warn_at, next_check_at, status and warning
level; `check_clock` is the one entry point the scheduler calls for rows whose next_check_at has come.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, select, text, update
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks import alerts, links
from engine.clocks import schedule as sched
from engine.clocks.models import Clock, ClockExtension, ClockPause, ClockPolicy
from engine.clocks.policies import CALENDAR, DUBAN, check_reason, get_policy, seed_policies
from engine.core import audit, bulk
from engine.core.clock import CHINA_TZ, as_utc, to_db
from engine.core.errors import Conflict, InvalidInput, NotFound
from engine.core.models import AuditEvent
from engine.org.directory import find_user
from engine.org.models import Notification

FINISHED_ON_TIME, FINISHED_LATE, CANCELLED, EXPIRED = "finished_on_time", "finished_late", "cancelled", "expired"
__all__ = ["seed_policies", "start_clock", "pause_clock", "resume_clock", "extend_clock", "set_deadline",
           "finish_clock", "cancel_clock", "check_clock", "DueClock", "select_due", "load_due", "load_policies", "needs_check_clock",
           "check_due_clocks", "due_clock_ids", "list_clocks", "get_clock",
           "recompute", "recompute_for_dates"]


_CALENDAR_KEY = "govflow.work_calendar"


def calendar(session: Session, now: datetime) -> workdays.WorkCalendar:
    """The working-day calendar as the database holds it, loaded once per transaction."""
    transaction = session.get_transaction()
    cached = session.info.get(_CALENDAR_KEY)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    loaded = workdays.WorkCalendar(session)
    session.info[_CALENDAR_KEY] = (session.get_transaction(), loaded)  # loading began one if none was open
    return loaded


def get_clock(session: Session, clock_id: int) -> Clock:
    clock = session.get(Clock, clock_id)
    if clock is None:
        raise NotFound(f"该计时不存在 / clock {clock_id} does not exist")
    return clock


def pauses_of(session: Session, clock: Clock) -> list[ClockPause]:
    if clock.id is None:
        return []
    return list(session.scalars(select(ClockPause).where(ClockPause.clock_id == clock.id)
                                .order_by(ClockPause.paused_at, ClockPause.id)))


def _record(session: Session, action: str, actor: str | None, now: datetime, clock: Clock,
            **detail: Any) -> None:
    audit.record(session, action, actor, now, instance_id=clock.instance_id, task_id=clock.task_id,
                 element_id=clock.element_id,
                 detail={"clock_id": clock.id, "policy": clock.policy_code, **detail})


def start_clock(session: Session, actor: str | None, now: datetime, policy_code: str, *,
                instance_id: int | None = None, task_id: str | None = None, element_id: str | None = None,
                responsible: str | None = None, department_code: str | None = None,
                due_date: date | None = None, flush: bool = True) -> Clock:
    """Start a clock under a policy; a 督办 clock needs the date its supervisor set."""
    policy = get_policy(session, policy_code)
    if policy.code == DUBAN and due_date is None:
        raise InvalidInput("a 督办 clock needs the deadline its supervisor sets (due_date)", field="due_date")
    process_id = links.cases().process_of(session, instance_id) if instance_id is not None else None
    clock = Clock(instance_id=instance_id, process_id=process_id, task_id=task_id,
                  element_id=element_id, policy_code=policy.code,
                  legal_basis=policy.legal_basis, unit=policy.unit, limit_days=policy.limit_days,
                  extended_days=0, started_at=to_db(now), due_at=to_db(now), status=sched.RUNNING,
                  warning_level=sched.NONE, active=True, used_working_days=0, responsible=responsible,
                  department_code=department_code)
    if due_date is not None:
        _set_limit_to(clock, due_date)
    session.add(clock)
    if flush:
        session.flush()
    recompute(session, now, clock, policy, [])
    _record(session, "clock_start", actor, now, clock, due_at=clock.due_at.isoformat(),
            unit=clock.unit, limit_days=clock.limit_days, responsible=responsible)
    return clock


def _set_limit_to(clock: Clock, due_date: date, excluded: int = 0) -> None:
    """A person-set date becomes a calendar-day limit, so pauses and recomputes keep the same rule."""
    start = sched.china_date(clock.started_at)
    if due_date < start:
        raise InvalidInput(f"截止日期 {due_date} 早于计时开始日 {start} / the deadline {due_date} is before the clock's "
                           f"start {start}", field="due_date")
    clock.unit, clock.limit_days, clock.extended_days = CALENDAR, (due_date - start).days - excluded, 0


def recompute(session: Session, now: datetime, clock: Clock, policy: ClockPolicy | None = None,
              pauses: list[ClockPause] | None = None, actor: str | None = None) -> Clock:
    """Due and warning moments from the calendar, then level, status and next check at `now`."""
    policy = policy or get_policy(session, clock.policy_code)
    pauses = pauses_of(session, clock) if pauses is None else pauses
    plan = sched.compute(calendar(session, now), clock, policy, pauses)
    clock.due_at, clock.warn_at, clock.provisional = plan.due_at, plan.warn_at, plan.provisional
    if clock.active and clock.paused_since is None:
        alerts.apply_level(session, actor, now, clock, policy, sched.level_at(clock, now))
    clock.next_check_at = sched.next_check(clock, policy, now)
    return clock


def _active(session: Session, clock_id: int) -> Clock:
    clock = get_clock(session, clock_id)
    if not clock.active:
        raise Conflict(f"时限 {clock_id} 已结束（{clock.status}），不能再修改 / "
                       f"clock {clock_id} has ended ({clock.status}); it cannot be changed any more")
    return clock


def pause_clock(session: Session, actor: str | None, now: datetime, clock_id: int, reason: str,
                note: str | None = None) -> Clock:
    """Stop the count for time the law excludes (补正, 专家评审, 听证, 检验检测, 现场踏勘, 第三方征求意见)."""
    reason = check_reason(reason)
    clock = _active(session, clock_id)
    if clock.paused_since is not None:
        raise Conflict(f"计时已于 {as_utc(clock.paused_since).astimezone(CHINA_TZ):%Y-%m-%d %H:%M} 暂停 / "
                       f"clock {clock_id} is already paused since {clock.paused_since:%Y-%m-%d %H:%M} UTC")
    session.add(ClockPause(clock_id=clock.id, reason=reason, note=note or None, paused_by=actor,
                           paused_at=to_db(now)))
    clock.paused_since, clock.status, clock.next_check_at = to_db(now), sched.PAUSED, None
    _record(session, "clock_pause", actor, now, clock, reason=reason, note=note or None)
    session.flush()
    return clock


def resume_clock(session: Session, actor: str | None, now: datetime, clock_id: int) -> Clock:
    """Restart the count; the due date moves by the days paused (or restarts after 补正 where the law says)."""
    clock = _active(session, clock_id)
    if clock.paused_since is None:
        raise Conflict(f"计时没有暂停，无需恢复 / clock {clock_id} is not paused")
    pauses = pauses_of(session, clock)
    current = next(p for p in reversed(pauses) if p.resumed_at is None)
    current.resumed_at, current.resumed_by = to_db(now), actor
    before = clock.due_at
    clock.paused_since, clock.status = None, sched.RUNNING
    recompute(session, now, clock, pauses=pauses, actor=actor)
    _record(session, "clock_resume", actor, now, clock, reason=current.reason,
            paused_at=current.paused_at.isoformat(), due_before=before.isoformat(),
            due_at=clock.due_at.isoformat())
    session.flush()
    return clock


def extend_clock(session: Session, actor: str | None, now: datetime, clock_id: int, days: int, reason: str,
                 approved_by: str) -> Clock:
    """Extend within what the law allows, with the approving head recorded."""
    clock = _active(session, clock_id)
    policy = get_policy(session, clock.policy_code)
    if not isinstance(days, int) or days <= 0:
        raise InvalidInput("延期天数须为不小于 1 的整数 / an extension is a whole number of days, 1 or more", field="days")
    if not (reason or "").strip():
        raise InvalidInput("延期须写明理由（理由将告知申请人） / an extension needs a reason (it is told to the applicant)", field="reason")
    if find_user(session, approved_by or "") is None:
        raise InvalidInput(f"批准人“{approved_by}”不是本系统用户 / the approver '{approved_by}' is not a known user", field="approved_by")
    unit = "working days" if clock.unit == "wd" else "days"
    unit_zh = "个工作日" if clock.unit == "wd" else "天"
    if policy.max_extension_days <= 0:
        raise Conflict(f"{policy.name}的法定依据不允许延期 / {policy.name} ({policy.code}) cannot be extended: its legal "
                       "basis allows no extension")
    done = session.scalar(select(ClockExtension.id).where(ClockExtension.clock_id == clock.id).limit(1))
    if policy.extension_once and done is not None:
        raise Conflict(f"{policy.name}只能延期一次，已延期 {clock.extended_days} {unit_zh} / "
                       f"{policy.name} may be extended only once and clock {clock.id} was already extended "
                       f"by {clock.extended_days} {unit}; a second extension is refused")
    if clock.extended_days + days > policy.max_extension_days:
        left = policy.max_extension_days - clock.extended_days
        raise Conflict(f"{policy.name}最多延期 {policy.max_extension_days} {unit_zh}，还可延期 {left} {unit_zh} / "
                       f"{policy.name} may be extended by at most {policy.max_extension_days} {unit}; "
                       f"{days} more would make {clock.extended_days + days} (at most {left} left)")
    session.add(ClockExtension(clock_id=clock.id, days=days, reason=reason.strip(), requested_by=actor,
                               approved_by=approved_by, at=to_db(now)))
    before = clock.due_at
    clock.extended_days += days
    recompute(session, now, clock, policy, actor=actor)
    _record(session, "clock_extend", actor, now, clock, days=days, reason=reason.strip(),
            approved_by=approved_by, due_before=before.isoformat(), due_at=clock.due_at.isoformat())
    session.flush()
    return clock


def set_deadline(session: Session, actor: str | None, now: datetime, clock_id: int, due_date: date,
                 reason: str | None = None) -> Clock:
    """A 督办 deadline is whatever date the supervising person sets (days paused still move it)."""
    clock = _active(session, clock_id)
    if clock.policy_code != DUBAN:
        raise Conflict(f"时限 {clock_id} 是法定时限（{clock.legal_basis}），只能依法延期 / "
                       f"clock {clock_id} follows {clock.policy_code}, a limit set by law; "
                       "only a 督办 clock takes a person-set deadline (extend it instead)")
    policy = get_policy(session, clock.policy_code)
    pauses = pauses_of(session, clock)
    start = sched.counting_start(clock, policy, pauses)
    before = clock.due_at
    _set_limit_to(clock, due_date, sched.paused_days(None, CALENDAR, start, pauses))
    recompute(session, now, clock, policy, pauses, actor=actor)
    _record(session, "clock_deadline", actor, now, clock, due_date=due_date.isoformat(), reason=reason,
            due_before=before.isoformat(), due_at=clock.due_at.isoformat())
    session.flush()
    return clock


def finish_clock(session: Session, actor: str | None, now: datetime, clock: Clock | int,
                 cancelled: bool = False) -> Clock:
    """Stop for good: on time or late against the due moment (or cancelled with its case or step)."""
    clock = get_clock(session, clock) if isinstance(clock, int) else clock
    if not clock.active:
        return clock
    pauses = pauses_of(session, clock)
    if clock.paused_since is not None:
        for pause in pauses:
            if pause.resumed_at is None:
                pause.resumed_at, pause.resumed_by = to_db(now), actor
        clock.paused_since = None
    policy = get_policy(session, clock.policy_code)
    if cancelled:
        clock.status = CANCELLED
    else:
        clock.status = FINISHED_ON_TIME if sched.naive(now) < clock.due_at else FINISHED_LATE
    if actor and not cancelled and (clock.task_id or clock.responsible is None):
        _handled_by(session, clock, actor)
    clock.used_working_days = sched.used_working_days(calendar(session, now), clock, policy, pauses, now)
    clock.active, clock.finished_at, clock.next_check_at = False, to_db(now), None
    _record(session, "clock_finish", actor, now, clock, status=clock.status,
            used_working_days=clock.used_working_days, due_at=clock.due_at.isoformat())
    return clock


def _handled_by(session: Session, clock: Clock, actor: str) -> None:
    """The handler of a step clock is whoever completed the step; a case clock nobody was put to is
    handled by whoever finished it, and counts for their department when it had none."""
    clock.responsible = actor
    if clock.department_code is None:
        user = find_user(session, actor)
        clock.department_code = user.department.code if user is not None and user.department is not None else None


def cancel_clock(session: Session, actor: str | None, now: datetime, clock: Clock | int) -> Clock:
    return finish_clock(session, actor, now, clock, cancelled=True)


def check_clock(session: Session, now: datetime, clock_id: int) -> Clock:
    """The scheduler's call when next_check_at has come: level change, notifications, expiry action."""
    clock = get_clock(session, clock_id)
    if not clock.active or clock.paused_since is not None:
        clock.next_check_at = None
        session.flush()
        return clock
    policy = get_policy(session, clock.policy_code)
    alerts.apply_level(session, None, now, clock, policy, sched.level_at(clock, now))
    if clock.warning_level == sched.RED and policy.on_expiry:
        alerts.expire(session, now, clock, policy)
        # Delivering the message may already have closed the step (and cancelled its clock).
        clock.status, clock.active = EXPIRED, False
        clock.finished_at = clock.finished_at or to_db(now)
    clock.next_check_at = sched.next_check(clock, policy, now) if clock.active else None
    session.flush()
    return clock


@dataclass
class DueClock:
    """A claimed clock row as the set-based check reads and changes it (check_due_clocks)."""

    id: int
    instance_id: int | None
    task_id: str | None
    element_id: str | None
    policy_code: str
    legal_basis: str
    unit: str
    limit_days: int
    extended_days: int
    started_at: datetime
    due_at: datetime
    warn_at: datetime | None
    provisional: bool
    status: str
    warning_level: str
    active: bool
    next_check_at: datetime | None
    paused_since: datetime | None
    responsible: str | None
    department_code: str | None
    lock_version: int
    loaded: tuple[Any, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.loaded = self.written()

    def written(self) -> tuple[Any, ...]:
        """The columns a check may change (as check_clock's flush would write them)."""
        return self.status, self.warning_level, self.responsible, self.next_check_at


_DUE_COLUMNS = [f.name for f in fields(DueClock) if f.init]


def select_due() -> Select[Any]:
    """SELECT of the columns a DueClock holds (rows, not ORM objects: nothing to flush one by one)."""
    table = Clock.__table__
    return select(*(table.c[name] for name in _DUE_COLUMNS))


def load_due(session: Session, clock_ids: Iterable[int]) -> dict[int, DueClock]:
    """The clocks to check, by id, with one query."""
    rows = session.execute(select_due().where(Clock.__table__.c.id.in_(list(clock_ids)))).all()
    return {row[0]: DueClock(*row) for row in rows}


def load_policies(session: Session, codes: Iterable[str]) -> dict[str, ClockPolicy]:
    """Policies by code with one query."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {p.code: p for p in session.scalars(select(ClockPolicy).where(ClockPolicy.code.in_(wanted)))}


def needs_check_clock(clock: DueClock | None, policy: ClockPolicy | None, now: datetime) -> bool:
    """Clocks the set-based check leaves to check_clock: a missing clock or policy (check_clock reports
    it), and an overdue clock whose policy has an expiry action (it delivers a BPMN message)."""
    if clock is None or policy is None:
        return True
    return (clock.active and clock.paused_since is None and bool(policy.on_expiry)
            and sched.level_at(clock, now) == sched.RED)


def check_due_clocks(session: Session, now: datetime, due: Sequence[DueClock],
                     policies: dict[str, ClockPolicy]) -> None:
    """check_clock for many clocks at once, none of which needs_check_clock: the same levels, statuses,
    next checks, audit events and notifications, written with one executemany UPDATE and one INSERT per
    table. Raises (having written nothing the caller's savepoint cannot undo) if a row changed meanwhile."""
    checks = []
    for clock in due:
        if not clock.active or clock.paused_since is not None:
            clock.next_check_at = None
            continue
        policy = policies[clock.policy_code]
        checks.append((clock, policy, sched.level_at(clock, now)))
    events, notes = alerts.apply_levels(session, now, checks)
    for clock, policy, _ in checks:
        clock.next_check_at = sched.next_check(clock, policy, now)
    _write_clocks(session, [clock for clock in due if clock.written() != clock.loaded])
    bulk.insert_rows(session, cast(Table, AuditEvent.__table__), events)
    bulk.insert_rows(session, cast(Table, Notification.__table__), notes)


def _write_clocks(session: Session, changed: list[DueClock]) -> None:
    """The changed rows with the version check the ORM would do: on PostgreSQL one UPDATE joined to the
    new values passed as arrays (psycopg2's executemany is one round trip per row), else an executemany."""
    if not changed:
        return
    table = cast(Table, Clock.__table__)
    rows = [{"id": c.id, "old_version": c.lock_version, "status": c.status, "warning_level": c.warning_level,
             "responsible": c.responsible, "next_check_at": c.next_check_at, "lock_version": c.lock_version + 1}
            for c in changed]
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        columns = [table.c[name] if name != "old_version" else table.c.lock_version for name in rows[0]]
        values, params = bulk.unnest(dialect, list(rows[0]), columns, rows)
        result = session.execute(text(
            f"UPDATE {table.name} SET status = v.status, warning_level = v.warning_level, "
            "responsible = v.responsible, next_check_at = v.next_check_at, lock_version = v.lock_version "
            f"FROM {values} WHERE {table.name}.id = v.id AND {table.name}.lock_version = v.old_version "
            # The ids again, so the planner reads the rows by key instead of hashing the whole table.
            f"AND {table.name}.id = ANY(CAST(:p0 AS BIGINT[]))"), params)
    else:
        result = session.execute(
            update(table).where(table.c.id == bindparam("b_id"), table.c.lock_version == bindparam("b_old_version"))
            .values({name: bindparam(f"b_{name}") for name in rows[0] if name not in ("id", "old_version")}),
            [{f"b_{name}": value for name, value in row.items()} for row in rows])
    written = int(getattr(result, "rowcount", -1))
    if dialect.supports_sane_multi_rowcount or dialect.name == "postgresql":
        if written != len(rows):
            raise Conflict(f"检查期间有 {len(rows) - written} 个计时被改动，请重试 / {len(rows) - written} of {len(rows)} clocks "
                           "changed while they were checked")
    for clock in changed:
        clock.lock_version += 1
        clock.loaded = clock.written()
    links.cases().clocks_written(session, (clock.instance_id for clock in changed))


def due_clock_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Ids whose next check has come, earliest first (the scheduler adds its own row locking)."""
    return list(session.scalars(select(Clock.id).where(Clock.active.is_(True),
                                                       Clock.next_check_at <= to_db(now))
                                .order_by(Clock.next_check_at).limit(limit)))


def list_clocks(session: Session, status: str | None = None, instance_id: int | None = None,
                responsible: str | None = None, limit: int = 500) -> list[Clock]:
    """Clocks by due time; status 'active' means every clock still counting or paused."""
    query = select(Clock)
    if status == "active":
        query = query.where(Clock.active.is_(True))
    elif status:
        query = query.where(Clock.status == status)
    if instance_id is not None:
        query = query.where(Clock.instance_id == instance_id)
    if responsible:
        query = query.where(Clock.responsible == responsible)
    return list(session.scalars(query.order_by(Clock.due_at, Clock.id).limit(limit)))


def recompute_for_dates(session: Session, now: datetime, changed: list[date] | set[date]) -> list[Clock]:
    """After an administrator changes calendar days: recompute running clocks whose span covers them."""
    if not changed:
        return []
    first, last = min(changed), max(changed)
    lower = datetime(first.year, first.month, first.day) - sched.DAY_SLACK
    upper = datetime(last.year, last.month, last.day) + sched.DAY_SLACK
    touched = []
    for clock in session.scalars(select(Clock).where(Clock.active.is_(True), Clock.started_at <= upper,
                                                     Clock.due_at >= lower)):
        before = clock.due_at
        recompute(session, now, clock)
        if clock.due_at != before:
            _record(session, "clock_recompute", None, now, clock, due_before=before.isoformat(),
                    due_at=clock.due_at.isoformat(), changed_dates=sorted(d.isoformat() for d in changed))
        touched.append(clock)
    session.flush()
    return touched


def _on_calendar_change(session: Session, now: datetime, changed_dates: Any) -> None:
    session.info.pop(_CALENDAR_KEY, None)
    recompute_for_dates(session, now, set(changed_dates))


if _on_calendar_change not in workdays.ON_CALENDAR_CHANGE:
    workdays.ON_CALENDAR_CHANGE.append(_on_calendar_change)
