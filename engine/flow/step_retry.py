"""One instance step, retried when another step of the same instance committed first.

Completing two different tasks of one case at the same moment (parallel branches, 会签 signers) is no
conflict for the people doing it, only for the instance's optimistic lock. A step therefore runs in a
savepoint; when its lock version turns out stale (StaleInstance) or PostgreSQL picks it as a deadlock or
serialization victim, the savepoint is rolled back, the instance row is locked (SELECT ... FOR UPDATE),
its rows are read again and the step runs once more, a bounded number of times with a little jitter.
A true conflict (the same task already done, claimed by someone else, the case ended) is found by the
step itself on the fresh rows and reaches the caller as Conflict.

SQLite has no row locks and a transaction that has read cannot write once another writer committed, so
there the step first takes the database's write lock with a no-op UPDATE of the instance row; steps then
queue on that lock and see each other's results.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine.core.errors import Conflict, ExecutionError
from engine.flow import incidents
from engine.flow.models import HumanTask, Instance

T = TypeVar("T")
ATTEMPTS = 6             # the first try and five retries: each retry holds the row lock, so one is the rule
JITTER_SECONDS = 0.005   # at most this, times the attempt number, between two attempts
_RETRIED_CODES = {"40P01", "40001"}  # PostgreSQL deadlock_detected, serialization_failure
RETRIES_SEEN: list[int] = [0]  # steps retried in this process (read by the reliability benchmark)


class StaleInstance(Conflict):
    """The instance's lock version moved under this step: `run_step` retries it."""


def _retriable(exc: Exception) -> bool:
    if isinstance(exc, StaleInstance):
        return True
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "pgcode", None) in _RETRIED_CODES


def _forget(session: Session, instance_id: int) -> None:
    """Expire what this session holds of the instance, so the next attempt reads the committed rows."""
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, Instance) and obj.id == instance_id) or (
                isinstance(obj, HumanTask) and obj.instance_id == instance_id):
            session.expire(obj)


# Built once: constructing a statement costs more than running it (every step takes the lock).
_LOCK_FOR_UPDATE = select(Instance.id).where(Instance.id == bindparam("l_id")).with_for_update()
_LOCK_BY_WRITE = (update(Instance).where(Instance.id == bindparam("l_id"))
                  .values(lock_version=Instance.lock_version).execution_options(synchronize_session=False))


def _lock(session: Session, instance_id: int) -> None:
    postgresql = session.get_bind().dialect.name == "postgresql"
    session.execute(_LOCK_FOR_UPDATE if postgresql else _LOCK_BY_WRITE, {"l_id": instance_id})


def run_step(session: Session, instance_id: int, step: Callable[[], T]) -> T:
    """Run `step` (which loads the instance, changes and saves it) until it is not beaten to the instance."""
    if session.get_bind().dialect.name != "postgresql":
        _lock(session, instance_id)  # an instance read before is re-read only if its version moved (a retry)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with session.begin_nested():
                if attempt > 1:
                    _lock(session, instance_id)
                return step()
        except ExecutionError as exc:  # a script or timer failed: the edge records the incident
            incidents.mark(exc, instance_id)
            raise
        except (StaleInstance, DBAPIError) as exc:
            if not _retriable(exc) or attempt == ATTEMPTS:
                raise
            RETRIES_SEEN[0] += 1
            _forget(session, instance_id)
            time.sleep(random.uniform(0, JITTER_SECONDS * attempt))  # noqa: S311 - jitter, not a secret
    raise AssertionError("unreachable: the last attempt returns or raises")
