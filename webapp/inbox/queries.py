"""Named read-only inbox queries (待办, 已办, 抄送, 我发起) over projection tables only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, case, event, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from engine.clocks.models import Clock
from engine.core.clock import CHINA_TZ, to_db
from engine.flow import instances, tasks
from engine.flow.models import CarbonCopy, HumanTask, Instance, ProcessVersion
from engine.org import deputies
from engine.org.directory import group_codes, is_admin
from engine.org.models import Department, User

SORTS = ("due", "created", "priority", "title")
WARNINGS = ("yellow", "red")
PER_PAGE_MAX = 100


@dataclass
class InboxFilter:
    """What a clerk narrows a list by; every field optional."""

    process: str | None = None
    department: str | None = None
    due_before: date | None = None
    warning: str | None = None
    text: str | None = None
    sort: str = "due"
    descending: bool = False
    page: int = 1
    per_page: int = 20
    unread_only: bool = False

    def offset(self) -> int:
        return (max(self.page, 1) - 1) * self.limit()

    def limit(self) -> int:
        return min(max(self.per_page, 1), PER_PAGE_MAX)


@dataclass
class Page:
    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // max(self.per_page, 1)))


def _task_columns() -> tuple[Any, Any]:
    """Due date and warning level as engine.flow.task_deadlines keeps them on every open task."""
    return HumanTask.deadline_at.label("due_at"), HumanTask.warning_level.label("warning_level")


_STARTER = aliased(User, name="starter")  # built once: an alias's adapted columns are memoized on it
_STARTER_DEPT = aliased(Department, name="starter_dept")


def _base_tasks(due: Any, level: Any, by_department: bool = False) -> Select:
    """Task rows with their case; the starter's department is joined only when the list filters by it
    (otherwise _page looks it up for the rows shown: fewer joins to plan on every inbox request)."""
    query = (select(HumanTask.id.label("task_id"), HumanTask.instance_id, HumanTask.name.label("task_name"),
                    HumanTask.element_id, HumanTask.assignee, HumanTask.priority, HumanTask.created_at,
                    HumanTask.completed_at, HumanTask.status.label("task_status"), HumanTask.form_key,
                    Instance.title, Instance.process_id, Instance.status, Instance.started_by, due, level)
             .join(Instance, Instance.id == HumanTask.instance_id))
    if by_department:
        starter, dept = _STARTER, _STARTER_DEPT
        query = (query.add_columns(dept.code.label("department"), dept.name.label("department_name"))
                 .outerjoin(starter, starter.username == Instance.started_by)
                 .outerjoin(dept, dept.id == starter.department_id))
    return query


def _starter_departments(session: Session, rows: list[dict[str, Any]]) -> None:
    """The starter's department for the rows shown, in one small query."""
    starters = sorted({row["started_by"] for row in rows if row.get("started_by")})
    found = dict(((name, (code, title)) for name, code, title in session.execute(
        _STARTER_UNITS, {"s_users": starters}))) if starters else {}
    for row in rows:
        row["department"], row["department_name"] = found.get(row.get("started_by") or "", (None, None))


_STARTER_UNITS = (select(User.username, Department.code, Department.name)
                  .join(Department, Department.id == User.department_id)
                  .where(User.username.in_(bindparam("s_users", expanding=True))))


def _filtered(query: Select, f: InboxFilter, due: Any, level: Any, title: Any, created: Any,
              created_always: bool = False) -> Select:
    """The filters and order of `f` with bind parameters for its values (see _filter_params), so the
    statement depends only on the filter's shape and can be built once per shape."""
    if f.process:
        query = query.where(Instance.process_id == bindparam("f_process"))
    if f.department:
        query = query.where(query.selected_columns.department == bindparam("f_department"))
    if f.due_before:
        query = query.where(due < bindparam("f_due_end"))
    if f.warning in WARNINGS:
        query = query.where(level == f.warning) if f.warning == "red" else query.where(level.in_(WARNINGS))
    if f.text and f.text.strip():
        conditions = [title.ilike(bindparam("f_needle")), Instance.process_id.ilike(bindparam("f_needle"))]
        if f.text.strip().isdigit():
            conditions.append(Instance.id == bindparam("f_number"))
        query = query.where(or_(*conditions))
    order = {"due": due, "created": created, "priority": HumanTask.priority, "title": title}.get(f.sort, due)
    if order is created and created_always:  # 已办 by completion (always set with completed_by): the index's order
        return query.order_by(order.desc() if f.descending else order.asc())
    # NULLS LAST written as such rather than as a CASE before the key, which no index can give
    return query.order_by((order.desc() if f.descending else order.asc()).nulls_last(), created.desc().nulls_last())


def _filter_params(f: InboxFilter) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if f.process:
        params["f_process"] = f.process
    if f.department:
        params["f_department"] = f.department
    if f.due_before:
        params["f_due_end"] = to_db(datetime.combine(f.due_before + timedelta(days=1), time(), CHINA_TZ))
    if f.text and f.text.strip():
        params["f_needle"] = f"%{f.text.strip()}%"
        if f.text.strip().isdigit():
            params["f_number"] = int(f.text.strip())
    return params


def _shape(f: InboxFilter) -> tuple[Any, ...]:
    """What decides the statement's text (never the values): the key of the built statements."""
    text = f.text.strip() if f.text else ""
    return (bool(f.process), bool(f.department), bool(f.due_before), f.warning if f.warning in WARNINGS else None,
            bool(text), text.isdigit(), f.sort, f.descending)


@dataclass
class _Statements:
    rows: Select    # the page, with a window count of all rows unless `windowed` is false
    total: Select   # the count alone: for a page past the last one, or always when not windowed
    windowed: bool = True


_BUILT: dict[tuple[Any, ...], _Statements] = {}
_BUILT_MAX = 512  # shapes are few (filters x sorts); the bound only guards against surprises


def _statements(query: Select, windowed: bool = True) -> _Statements:
    """A window count when the rows must all be read to sort them anyway (待办: the visible tasks come
    from several sources); a count of its own where an index gives the page in order (已办, 我发起), so
    the page reads its rows only and the count reads an index."""
    rows = query.add_columns(func.count().over().label("total_rows")) if windowed else query
    return _Statements(rows.offset(bindparam("p_offset")).limit(bindparam("p_limit")),
                       query.order_by(None).with_only_columns(func.count(), maintain_column_froms=True), windowed)


def _built(key: tuple[Any, ...], build: Any, windowed: bool = True) -> _Statements:
    """The statements of one list and filter shape, built on first use and kept (building a select and
    its cache key costs several times more than running a built one with new parameters)."""
    found = _BUILT.get(key)
    if found is None:
        made = build()
        found = made if isinstance(made, _Statements) else _statements(made, windowed)
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.clear()
        _BUILT[key] = found
    return found


def _page(session: Session, query: Select | _Statements, f: InboxFilter, params: dict[str, Any] | None = None,
          windowed: bool = True) -> Page:
    # Windowed: one statement gives the page and the total, so the query is planned once, not twice.
    built = query if isinstance(query, _Statements) else _statements(query, windowed)
    values = {**(params or {}), "p_offset": f.offset(), "p_limit": f.limit()}
    rows = [dict(r._mapping) for r in session.execute(built.rows, values)]
    if rows and built.windowed:
        total = int(rows[0]["total_rows"])
    else:  # past the last page, nothing at all, or not windowed: count alone, without the per-row columns
        total = session.scalar(built.total, values) or 0
    for row in rows:
        row.pop("total_rows", None)
    if rows and "process_name" not in rows[0]:  # task lists name processes from the short list, not a join
        names = dict(processes(session))
        for row in rows:
            row["process_name"] = names.get(row["process_id"], row["process_id"])
    if rows and "task_id" in rows[0] and "department" not in rows[0]:
        _starter_departments(session, rows)
    return Page(rows, total, max(f.page, 1), f.limit())


def _workable(principals: int) -> Any:
    """Open tasks the user may work: their own (`v_*` parameters), and those of the people they act for
    as a deputy now (`v0_*`, `v1_*` ...)."""
    own = tasks.visible_filter_bound("v_")
    return or_(own, *(tasks.visible_filter_bound(f"v{k}_") for k in range(principals))) if principals else own


def _workable_params(session: Session, username: str, principals: list[str]) -> dict[str, Any]:
    params = tasks.visible_params("v_", username, group_codes(session, username))
    for k, principal in enumerate(principals):
        params.update(tasks.visible_params(f"v{k}_", principal, group_codes(session, principal)))
    return params


def todo(session: Session, username: str, f: InboxFilter | None = None, now: datetime | None = None) -> Page:
    """待办: open tasks of running cases the user may work, as themselves or as an authorised deputy
    (admins see every open task); a deputy's rows say for whom."""
    f = f or InboxFilter()
    principals = deputies.principals(session, username, now) if now is not None else []
    admin = is_admin(session, username)

    def build() -> _Statements:
        due, level = _task_columns()
        query = _base_tasks(due, level, bool(f.department)).where(HumanTask.status == "open",
                                                                  Instance.status == instances.RUNNING)
        if not admin:
            query = query.where(_workable(len(principals)))
        return _ranked(_filtered(query, f, due, level, Instance.title, HumanTask.created_at), f)

    params = _filter_params(f) | ({} if admin else _workable_params(session, username, principals))
    page = _page(session, _built(("todo", admin, len(principals), _shape(f)), build), f, params)
    if principals and page.rows:
        _mark_deputised(session, username, principals, page.rows)
    return page


def _ranked(query: Select, f: InboxFilter) -> _Statements:
    """待办 in two steps within one statement: the page's task ids and the total are chosen over the
    columns ix_human_task_open_id and ix_instance_running hold (so each visible task costs two
    index-only probes, not two table reads), then the shown rows alone are joined to their columns."""
    page = (query.with_only_columns(HumanTask.id.label("r_id"), func.count().over().label("total_rows"),
                                    maintain_column_froms=True)
            .offset(bindparam("p_offset")).limit(bindparam("p_limit")).subquery("ranked"))
    due, level = _task_columns()
    shown = (_base_tasks(due, level, bool(f.department)).join(page, page.c.r_id == HumanTask.id)
             .add_columns(page.c.total_rows))
    order = InboxFilter(sort=f.sort, descending=f.descending)
    return _Statements(_filtered(shown, order, due, level, Instance.title, HumanTask.created_at),
                       query.order_by(None).with_only_columns(func.count(), maintain_column_froms=True))


def _mark_deputised(session: Session, username: str, principals: list[str], rows: list[dict[str, Any]]) -> None:
    """`on_behalf_of` on the rows the user sees only as someone's deputy."""
    ids = [row["task_id"] for row in rows]
    mine = set(session.scalars(select(HumanTask.id).where(HumanTask.id.in_(ids), tasks.visible_filter(
        username, group_codes(session, username)))))
    for principal in principals:
        theirs = set(session.scalars(select(HumanTask.id).where(HumanTask.id.in_(ids), tasks.visible_filter(
            principal, group_codes(session, principal)))))
        for row in rows:
            if row["task_id"] in theirs - mine:
                row.setdefault("on_behalf_of", principal)


def todo_count(session: Session, username: str, now: datetime | None = None, cap: int | None = None) -> int:
    """The 待办 number without computing due dates or sorting: only the visibility test counts. With `cap`,
    counting stops after cap + 1 tasks (the other tabs show "99+": each visible task costs index probes)."""
    query = select(HumanTask.id if cap is not None else func.count()).select_from(HumanTask).join(
        Instance, Instance.id == HumanTask.instance_id).where(HumanTask.status == "open",
                                                             Instance.status == instances.RUNNING)
    params: dict[str, Any] = {}
    if not is_admin(session, username):
        principals = deputies.principals(session, username, now) if now is not None else []
        query, params = query.where(_workable(len(principals))), _workable_params(session, username, principals)
    if cap is not None:
        query = select(func.count()).select_from(query.limit(cap + 1).subquery())
    return session.scalar(query, params) or 0


TAB_TODO_CAP = 99  # beyond this the other tabs say "99+" instead of counting every visible task


def done(session: Session, username: str, f: InboxFilter | None = None) -> Page:
    """已办: tasks the user completed, newest first by default."""
    f = f or InboxFilter(sort="created", descending=True)

    def build() -> Select:
        due, level = _task_columns()
        query = _base_tasks(due, level, bool(f.department)).where(HumanTask.completed_by == bindparam("d_user"),
                                                                  HumanTask.status == "completed")
        return _filtered(query, f, due, level, Instance.title, HumanTask.completed_at, created_always=True)

    built = _built(("done", _shape(f)), build, windowed=False)
    if not (f.process or f.text or f.department):  # every task has its case: count the tasks alone
        built = _Statements(built.rows, _DONE_COUNT, windowed=False)
    return _page(session, built, f, _filter_params(f) | {"d_user": username})


def started(session: Session, username: str, f: InboxFilter | None = None) -> Page:
    """我发起: cases the user started, with their status."""
    f = f or InboxFilter(sort="created", descending=True)
    case_due = (select(Clock.due_at).where(Clock.instance_id == Instance.id, Clock.task_id.is_(None))
                .order_by(Clock.due_at).limit(1).scalar_subquery()).label("due_at")
    case_level = func.coalesce(select(Clock.warning_level).where(
        Clock.instance_id == Instance.id, Clock.task_id.is_(None), Clock.active.is_(True))
        .limit(1).scalar_subquery(), literal("none")).label("warning_level")
    query = (select(Instance.id.label("instance_id"), Instance.title, Instance.process_id, Instance.status,
                    Instance.started_at.label("created_at"), Instance.ended_at, Instance.started_by,
                    ProcessVersion.name.label("process_name"), literal(None).label("department"),
                    case_due, case_level)
             .join(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
             .where(Instance.started_by == username))
    f2 = InboxFilter(**{**f.__dict__, "department": None})
    return _page(session, _filtered_instances(query, f2, case_due, case_level), f, windowed=False)


def _filtered_instances(query: Select, f: InboxFilter, due: Any, level: Any) -> Select:
    if f.process:
        query = query.where(Instance.process_id == f.process)
    if f.warning in WARNINGS:
        query = query.where(level == f.warning) if f.warning == "red" else query.where(level.in_(WARNINGS))
    if f.text and f.text.strip():
        query = query.where(Instance.title.ilike(f"%{f.text.strip()}%"))
    order = {"due": due, "title": Instance.title}.get(f.sort, Instance.started_at)
    return query.order_by(order.desc() if f.descending else order.asc(), Instance.id.desc())


def copies(session: Session, username: str, f: InboxFilter | None = None) -> Page:
    """抄送: copies sent to the user, unread first then newest."""
    f = f or InboxFilter()
    query = (select(CarbonCopy.id.label("copy_id"), CarbonCopy.instance_id, CarbonCopy.sender, CarbonCopy.note,
                    CarbonCopy.created_at, CarbonCopy.read_at, Instance.title, Instance.process_id,
                    Instance.status, ProcessVersion.name.label("process_name"))
             .join(Instance, Instance.id == CarbonCopy.instance_id)
             .join(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
             .where(CarbonCopy.recipient == username))
    if f.unread_only:
        query = query.where(CarbonCopy.read_at.is_(None))
    if f.process:
        query = query.where(Instance.process_id == f.process)
    if f.text and f.text.strip():
        query = query.where(Instance.title.ilike(f"%{f.text.strip()}%"))
    query = query.order_by(case((CarbonCopy.read_at.is_(None), 0), else_=1), CarbonCopy.created_at.desc())
    return _page(session, query, f)


def counts(session: Session, username: str, todo_total: int | None = None,
           now: datetime | None = None) -> dict[str, int]:
    """The numbers shown on every tab. The 待办 list passes the total it has already counted; other tabs
    count 待办 up to TAB_TODO_CAP and set `todo_over` past it."""
    row = session.execute(_TAB_COUNTS, {"c_user": username}).one()  # one round trip for three numbers
    todo = todo_count(session, username, now, TAB_TODO_CAP) if todo_total is None else todo_total
    over = todo_total is None and todo > TAB_TODO_CAP
    return {"todo": min(todo, TAB_TODO_CAP) if over else todo, "todo_over": int(over),
            "done": int(row[0] or 0), "copies_unread": int(row[1] or 0), "started": int(row[2] or 0)}


@event.listens_for(Session, "after_transaction_end")
def _forget_process_names(session: Session, transaction: Any) -> None:
    """A deployment in another transaction adds a process: the names are asked again after this one."""
    if transaction.parent is None:
        session.info.pop("govflow_process_names", None)


def processes(session: Session) -> list[tuple[str, str]]:
    """(process id, name) pairs for the process filter, latest name per id; asked once per transaction
    (the list and its rows' names both need it)."""
    cache = session.info.get("govflow_process_names")
    if cache is None:
        rows = session.execute(_PROCESS_NAMES)
        cache = session.info["govflow_process_names"] = sorted({pid: name or pid for pid, name in rows}.items())
    return list(cache)


def latest_versions(session: Session, excluded: set[str] | frozenset[str] = frozenset()) -> list[Any]:
    """(process_id, version, name) of the latest deployed version of every process, leaving out
    `excluded`: the start page's list (the specs themselves are not loaded)."""
    return list(session.execute(_LATEST_VERSIONS, {"x_ids": sorted(excluded) or [""]}))


_PROCESS_NAMES = (select(ProcessVersion.process_id, ProcessVersion.name)
                  .order_by(ProcessVersion.process_id, ProcessVersion.version))
_LATEST = (select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("v"))
           .group_by(ProcessVersion.process_id).subquery())
_LATEST_VERSIONS = (select(ProcessVersion.process_id, ProcessVersion.version, ProcessVersion.name)
                    .join(_LATEST, (_LATEST.c.process_id == ProcessVersion.process_id)
                          & (_LATEST.c.v == ProcessVersion.version))
                    .where(ProcessVersion.process_id.not_in(bindparam("x_ids", expanding=True)))
                    .order_by(ProcessVersion.process_id))


_DONE_COUNT = select(func.count()).select_from(HumanTask).where(  # 已办's total: an index range of one person
    HumanTask.completed_by == bindparam("d_user"), HumanTask.status == "completed")
_TAB_COUNTS = select(  # built once, like every statement a list page runs on each request
    select(func.count()).select_from(HumanTask).where(HumanTask.completed_by == bindparam("c_user"),
                                                      HumanTask.status == "completed").scalar_subquery(),
    select(func.count()).select_from(CarbonCopy).where(CarbonCopy.recipient == bindparam("c_user"),
                                                       CarbonCopy.read_at.is_(None)).scalar_subquery(),
    select(func.count()).select_from(Instance).where(Instance.started_by == bindparam("c_user")).scalar_subquery())
