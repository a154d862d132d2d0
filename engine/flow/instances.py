"""Instance services: start, load/save with optimistic locking, cancel, suspend, messages, timers."""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, event, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine.bpmn import runtime
from engine.bpmn.sandbox import make_script_engine
from engine.bpmn.serializer import serializer
from engine.bpmn.timers import using_clock
from engine.calendar import workdays
from engine.clocks import links
from engine.core import audit, events
from engine.core.clock import FixedClock, as_utc, to_db
from engine.core.errors import Conflict, EngineError, Forbidden, InvalidInput, NotFound
from engine.flow import (
    clock_links,
    definitions,
    projections,
    services,
    state_store,
    step_retry,
    task_deadlines,
)
from engine.flow.models import Instance
from engine.org.directory import is_admin

RUNNING, SUSPENDED, COMPLETED, CANCELLED = "running", "suspended", "completed", "cancelled"
MAX_DATA_BYTES = 1_000_000
TIMER_RETRY = timedelta(minutes=1)
# Called after a step is flushed and before the edge commits. Empty in production; the crash test
# uses it to kill a process at exactly that point.
AFTER_SAVE_HOOKS: list[Callable[[Session, Instance], None]] = []


@dataclass
class Loaded:
    """An instance row with its live workflow, checked out for one operation."""

    instance: Instance
    wf: runtime.Workflow
    script_engine: Any


class _WorkflowCache:
    """Deserialized workflows keyed by (instance uid, lock version); a stale key never matches."""

    def __init__(self, size: int = 512):
        self._items: OrderedDict[tuple[str, int], runtime.Workflow] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def take(self, key: tuple[str, int]) -> runtime.Workflow | None:
        """Remove and return, so two threads never share one workflow object."""
        with self._lock:
            return self._items.pop(key, None)

    def put(self, key: tuple[str, int], wf: runtime.Workflow) -> None:
        with self._lock:
            self._items[key] = wf
            if len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CACHE = _WorkflowCache()
_PENDING = "govflow_pending_workflows"
_WRITTEN = "govflow_written_versions"  # (uid, version) pairs this transaction saved, not yet committed


def remember(session: Session, inst: Instance, wf: runtime.Workflow) -> None:
    """Offer a workflow to the cache once this transaction commits; a rollback forgets it, so the
    cache never holds state that another process could contradict under the same version."""
    session.info.setdefault(_PENDING, {})[(inst.uid, inst.lock_version)] = wf


@event.listens_for(Session, "after_commit")
def _publish_pending(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: nothing is committed yet
        return
    session.info.pop(_WRITTEN, None)
    for key, wf in session.info.pop(_PENDING, {}).items():
        CACHE.put(key, wf)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
    if not session.in_nested_transaction():  # after a savepoint's rollback, earlier writes still count
        session.info.pop(_WRITTEN, None)


def script_engine_for(now: datetime, session: Session | None = None) -> Any:
    """A sandboxed script engine whose 'now' is the operation's time; with a session, designers'
    working-day functions read the official calendar (loaded only if an expression calls them)."""
    moment = as_utc(now)
    functions: dict[str, Any] = {"now": lambda: moment}
    if session is not None:
        functions.update(calendar_functions(session, moment))
    return make_script_engine(functions=functions)


def calendar_functions(session: Session, moment: datetime) -> dict[str, Any]:
    """working_days(n[, start]) and calendar_days(n[, start]): ISO due instants for timer expressions,
    e.g. <timeDate>working_days(3)</timeDate>; the limit ends with its last day in China time."""
    loaded: list[workdays.WorkCalendar] = []

    def calendar() -> workdays.WorkCalendar:
        if not loaded:
            loaded.append(workdays.WorkCalendar(session))
        return loaded[0]

    def due(unit: str) -> Any:
        def compute(n: int, start: str | None = None) -> str:
            base = as_utc(datetime.fromisoformat(start)) if start else moment
            return calendar().due_at(base, int(n), unit).due_at.isoformat()
        return compute

    return {"working_days": due("wd"), "calendar_days": due("cd")}


def evaluator(script_engine: Any) -> Any:
    return lambda expr, ctx: script_engine.environment.evaluate(expr, dict(ctx))


def check_data(data: dict[str, Any] | None, field_prefix: str = "data") -> dict[str, Any]:
    """Submitted data must be a JSON object of identifier keys and JSON values of bounded size."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput(f"{field_prefix} 须为 JSON 对象 / {field_prefix} must be a JSON object like {{\"approved\": true}}", field=field_prefix)
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise InvalidInput(f"字段名“{key}”不可用：只能用字母、数字和下划线，且不以下划线或数字开头 / "
                               f"'{key}' is not a usable field name: use letters, digits and _ "
                               "and do not start with _ or a digit", field=f"{field_prefix}.{key}")
    try:
        size = len(json.dumps(data, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field_prefix} 含有不能存为 JSON 的值 / {field_prefix} holds a value that is not JSON: {exc}", field=field_prefix) from exc
    if size > MAX_DATA_BYTES:
        raise InvalidInput(f"{field_prefix} 共 {size} 字节，超过上限 {MAX_DATA_BYTES} 字节 / {field_prefix} is {size} bytes; "
                           f"the limit is {MAX_DATA_BYTES}", field=field_prefix)
    return data


def start(session: Session, actor: str | None, now: datetime, process_id: str,
          data: dict[str, Any] | None = None, version: int | None = None,
          title: str | None = None) -> Instance:
    """Start the latest (or a given) version and run it to its first wait state."""
    data = check_data(data)
    pv = definitions.get_version(session, process_id, version)
    spec, subs = definitions.load_specs(pv)
    engine = script_engine_for(now, session)
    start_data = dict(data)
    if actor:
        for name in runtime.initiator_variables(spec):
            start_data[name] = actor  # the engine's word: start data cannot name someone else as starter
    with using_clock(FixedClock(now)):
        wf = runtime.new_workflow(spec, subs, engine, start_data)
    # The row is inserted with its first state and timer index, so _save finds nothing to UPDATE
    # (one statement less per start) unless the instance already ended.
    state = state_store.whole(wf)
    due = runtime.next_timer_due(wf)
    inst = Instance(uid=uuid.uuid4().hex, process_version_id=pv.id, process_id=process_id, status=RUNNING,
                    title=(title or str(data.get("title") or pv.name or process_id))[:500],
                    state=state, state_deltas=0, started_by=actor, started_at=to_db(now), ended_at=None,
                    next_timer_at=to_db(datetime.fromisoformat(due)) if due else None)
    session.add(inst)
    session.flush()
    audit.record(session, "start", actor, now, instance_id=inst.id,
                 detail={"process_id": process_id, "version": pv.version}, changes=audit.diff({}, data))
    events.emit(session, now, events.INSTANCE_STARTED, instance_id=inst.id, process_id=process_id,
                version=pv.version, title=inst.title, started_by=actor)
    _save(session, Loaded(inst, wf, engine), now, actor=actor)
    return inst


def ended(session: Session, now: datetime, inst: Instance, status: str, reason: str | None = None) -> None:
    """The case is over (completed, cancelled or rejected): other systems waiting for the result hear it."""
    events.emit(session, now, events.INSTANCE_ENDED, instance_id=inst.id, process_id=inst.process_id,
                title=inst.title, status=status, reason=reason)


def get(session: Session, instance_id: int) -> Instance:
    inst = session.get(Instance, instance_id)
    if inst is None:
        raise NotFound(f"案件 #{instance_id} 不存在 / instance {instance_id} does not exist")
    return inst


def load(session: Session, inst: Instance, now: datetime) -> Loaded:
    """Check out the instance's workflow (from the cache when the stored version matches)."""
    engine = script_engine_for(now, session)
    wf = CACHE.take((inst.uid, inst.lock_version))
    if wf is None:
        spec, subs = definitions.load_specs(inst.process_version)
        state, noted = state_store.read(session, inst)
        wf = serializer().load_dict(state, spec, subs)
        state_store.loaded_from(wf, noted)
    wf.script_engine = engine
    return Loaded(inst, wf, engine)


def give_back(session: Session, loaded: Loaded) -> None:
    """A workflow only read goes back to the cache at once (a committed version never changes), so the
    task page and its completion deserialize it once; a version this transaction wrote waits for commit."""
    key = (loaded.instance.uid, loaded.instance.lock_version)
    if key in session.info.get(_WRITTEN, ()):
        remember(session, loaded.instance, loaded.wf)
    else:
        CACHE.put(key, loaded.wf)


def _save(session: Session, loaded: Loaded, now: datetime, done: dict[str, str] | None = None,
          actor: str | None = None) -> None:
    """Run built-in service steps, then write state (what changed, engine/flow/state_store.py), status,
    timer index and task projection in the caller's transaction."""
    inst, wf = loaded.instance, loaded.wf
    if actor is None and done:
        actor = next(iter(done.values()))
    _ran, current = services.run_pending(session, inst, wf, now, actor)
    values: dict[str, Any] = {"status": inst.status, "ended_at": inst.ended_at}
    completing = inst.status == RUNNING and runtime.is_completed(wf)
    if completing:
        values.update(status=COMPLETED, ended_at=to_db(now))
        audit.record(session, "end", None, now, instance_id=inst.id,
                     detail={"success": runtime.succeeded(wf)})
    live = values["status"] in (RUNNING, SUSPENDED)
    previous_deltas = inst.state_deltas or 0
    write = state_store.prepare(wf, inst, ending=not live)
    values["state_deltas"] = write.deltas
    if write.state is not None:
        values["state"] = write.state
    due = runtime.next_timer_due(wf) if live else None
    values["next_timer_at"] = to_db(datetime.fromisoformat(due)) if due else None
    _write_instance(session, inst, values)  # the optimistic lock is checked before anything else is written
    state_store.finish(session, inst, previous_deltas, wf, write)
    projections.sync_tasks(session, inst, wf, now, evaluator(loaded.script_engine), done, current)
    if completing:  # told after its last steps are
        ended(session, now, inst, COMPLETED)
    _flush_instance(session, inst)
    task_deadlines.refresh_marked(session)
    session.info.setdefault(_WRITTEN, set()).add((inst.uid, inst.lock_version))
    remember(session, inst, wf)
    for hook in AFTER_SAVE_HOOKS:
        hook(session, inst)


_STEP_COLUMNS = ("status", "ended_at", "next_timer_at", "state_deltas")


def _write_step(columns: tuple[str, ...]) -> Any:
    return (update(Instance).where(Instance.id == bindparam("w_id"), Instance.lock_version == bindparam("w_old"))
            .values(lock_version=bindparam("w_new"), **{name: bindparam(f"w_{name}") for name in columns}))


# A step that stores a delta leaves the state column alone; one that writes the whole state sets it too.
_WRITE_STEP = {False: _write_step(_STEP_COLUMNS), True: _write_step(("state", *_STEP_COLUMNS))}


def _write_instance(session: Session, inst: Instance, values: dict[str, Any]) -> None:
    """Write a step's columns with one prepared UPDATE that checks and bumps the lock version (an ORM
    flush of the same row costs several times more); an instance with other unsaved changes, or not
    inserted yet, goes through the ORM instead."""
    info = inspect(inst)
    if info.key is None or info.pending or info.modified:
        for name, value in values.items():
            setattr(inst, name, value)
        _flush_instance(session, inst)
        return
    unloaded = info.unloaded
    if all(name not in unloaded and getattr(inst, name) == value for name, value in values.items()):
        return  # e.g. a start: the row was inserted with this very state
    old = inst.lock_version
    result = session.connection().execute(_WRITE_STEP["state" in values], {
        "w_id": inst.id, "w_old": old, "w_new": old + 1, **{f"w_{k}": v for k, v in values.items()}})
    if getattr(result, "rowcount", 0) != 1:
        raise step_retry.StaleInstance(f"instance {inst.id} was changed by someone else at the same time; "
                                       "reload and try again")
    for name, value in values.items():
        set_committed_value(inst, name, value)
    set_committed_value(inst, "lock_version", old + 1)


def _flush_instance(session: Session, inst: Instance) -> None:
    instance_id = inst.id  # read before the flush: a failed flush expires the object
    try:
        session.flush()
    except StaleDataError as exc:
        raise step_retry.StaleInstance(f"instance {instance_id} was changed by someone else at the same time; "
                       "reload and try again") from exc


@contextmanager
def operate(session: Session, inst: Instance, now: datetime) -> Iterator[Loaded]:
    """Load, let the caller mutate, then save; on any error the workflow object is dropped."""
    loaded = load(session, inst, now)
    with using_clock(FixedClock(now)):
        yield loaded


def save(session: Session, loaded: Loaded, now: datetime, done: dict[str, str] | None = None) -> None:
    _save(session, loaded, now, done)


def require_running(inst: Instance) -> None:
    if inst.status == SUSPENDED:
        raise Conflict(f"案件 #{inst.id} 已挂起，请先恢复 / instance {inst.id} is suspended; resume it first")
    if inst.status != RUNNING:
        raise Conflict(f"案件 #{inst.id} 已结束 / instance {inst.id} has ended ({inst.status})")


def _require_manager(session: Session, inst: Instance, actor: str | None) -> None:
    if actor is None or (actor != inst.started_by and not is_admin(session, actor)):
        raise Forbidden(f"只有案件 #{inst.id} 的发起人或管理员可以这样做 / only the starter of instance {inst.id} or an "
                        "administrator may do this")


def cancel(session: Session, actor: str | None, now: datetime, instance_id: int, reason: str = "") -> Instance:
    inst = get(session, instance_id)
    _require_manager(session, inst, actor)
    if inst.status not in (RUNNING, SUSPENDED):
        raise Conflict(f"案件 #{inst.id} 已结束 / instance {inst.id} has already ended ({inst.status})")
    with operate(session, inst, now) as loaded:
        runtime.cancel(loaded.wf)
        inst.status, inst.ended_at = CANCELLED, to_db(now)
        audit.record(session, "cancel", actor, now, instance_id=inst.id, opinion=reason or None)
        ended(session, now, inst, CANCELLED, reason=reason or None)
        save(session, loaded, now)
    return inst


def set_suspended(session: Session, actor: str | None, now: datetime, instance_id: int,
                  suspended: bool) -> Instance:
    """Suspend (no task can be worked, no timer fires) or resume an instance."""
    inst = get(session, instance_id)
    _require_manager(session, inst, actor)
    if suspended and inst.status != RUNNING:
        raise Conflict(f"只有办理中的案件可以挂起 / only a running instance can be suspended (this one is {inst.status})")
    if not suspended and inst.status != SUSPENDED:
        raise Conflict(f"案件 #{inst.id} 没有挂起 / instance {inst.id} is not suspended")
    inst.status = SUSPENDED if suspended else RUNNING
    audit.record(session, "suspend" if suspended else "resume", actor, now, instance_id=inst.id)
    _flush_instance(session, inst)
    return inst


def send_message(session: Session, actor: str | None, now: datetime, instance_id: int, name: str,
                 payload: dict[str, Any] | None = None) -> Instance:
    """Deliver a named message (or signal) to one instance that waits for it."""
    payload = check_data(payload, "payload")
    return step_retry.run_step(session, instance_id, lambda: _send(session, actor, now, instance_id, name, payload))


def _send(session: Session, actor: str | None, now: datetime, instance_id: int, name: str,
          payload: dict[str, Any]) -> Instance:
    inst = get(session, instance_id)
    require_running(inst)
    with operate(session, inst, now) as loaded:
        kinds = {kind for event, kind, _ in runtime.waiting_event_names(loaded.wf) if event == name}
        if any(k.startswith("Signal") for k in kinds):
            runtime.send_signal(loaded.wf, name, payload)
        else:
            runtime.send_message(loaded.wf, name, payload)
        audit.record(session, "message", actor, now, instance_id=inst.id, detail={"name": name},
                     changes=audit.diff({}, payload))
        save(session, loaded, now)
    return inst


def due_timer_instances(session: Session, now: datetime, limit: int = 100) -> list[int]:
    return list(session.scalars(select(Instance.id).where(
        Instance.status == RUNNING, Instance.next_timer_at <= to_db(now)).order_by(Instance.next_timer_at)
        .limit(limit)))


def fire_timers(session: Session, now: datetime, instance_id: int) -> Instance:
    """Let an instance's due timers fire and advance it (again, if a person's step got there first)."""
    return step_retry.run_step(session, instance_id, lambda: _fire(session, now, instance_id))


def _fire(session: Session, now: datetime, instance_id: int) -> Instance:
    inst = get(session, instance_id)
    if inst.status != RUNNING:
        return inst
    with operate(session, inst, now) as loaded:
        before = inst.next_timer_at
        runtime.run_engine(loaded.wf)
        audit.record(session, "timer", None, now, instance_id=inst.id,
                     detail={"due": before.isoformat() if before else None})
        save(session, loaded, now)
    moment = to_db(now)
    if inst.next_timer_at is not None and moment is not None and inst.next_timer_at <= moment:
        # A timer that stays due after firing would be picked up on every tick: look again later.
        inst.next_timer_at = to_db(now + TIMER_RETRY)
        session.flush()
    return inst


def current_data(session: Session, inst: Instance, now: datetime) -> dict[str, Any]:
    """The case data as the next step would see it (reads state; for detail pages, not lists)."""
    loaded = load(session, inst, now)
    try:
        return runtime.current_data(loaded.wf)
    finally:
        give_back(session, loaded)


def waiting_events(session: Session, inst: Instance, now: datetime) -> list[dict[str, Any]]:
    loaded = load(session, inst, now)
    try:
        return [{"name": n, "type": t, "value": v} for n, t, v in runtime.waiting_event_names(loaded.wf)]
    finally:
        give_back(session, loaded)


def deliver_expiry(session: Session, now: datetime, instance_id: int, message: str) -> tuple[bool, str | None]:
    """A clock's expiry action (e.g. 补正 not noticed in time: 'deemed_accepted', Art. 32), delivered
    only to a running case that waits for it: (delivered, why not)."""
    inst = session.get(Instance, instance_id)
    if inst is None or inst.status != RUNNING:
        return False, "the clock's case is not running"
    if message not in {event["name"] for event in waiting_events(session, inst, now)}:
        return False, f"instance {inst.id} is not waiting for '{message}'"
    try:
        send_message(session, None, now, inst.id, message, {})
    except EngineError as exc:
        return False, str(exc)
    return True, None


# The clocks below learn of cases and steps through this layer (engine.clocks.links).
links.install(clock_links.FlowCases(deliver_expiry))
