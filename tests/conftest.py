"""Test database fixtures: SQLite or a real PostgreSQL server, one rolled-back transaction per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from engine.core.db import make_engine
from engine.ops.assembly import Base
from tests.conformance.expectations import DEPLOYED, EXPECTATIONS

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CONFORMANCE_DIR = SHARED / "conformance"
BENCH_DIR = SHARED / "bench"
DATABASE = os.environ.get("GOVFLOW_TEST_DATABASE", "sqlite")
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in China
# Figures the reliability suite measures (tests/reliability/conftest.py), printed at the end of the run.
FIGURES = ROOT / "test-artifacts" / f"reliability-figures-{DATABASE}.txt"


def forget_live_objects(session: Session) -> None:
    """Reload mode: drop cached workflows and specs and expire rows, so the next step reads the database."""
    from engine.flow import definitions, instances

    instances.CACHE.clear()
    definitions._SPEC_CACHE.clear()
    session.expire_all()


def _pg_admin_url() -> str:
    url = os.environ.get("GOVFLOW_TEST_PG_URL")
    if not url:
        pytest.fail("GOVFLOW_TEST_DATABASE=postgresql needs GOVFLOW_TEST_PG_URL (see scripts/pg-start.sh)")
    return url


class DatabaseFactory:
    """Creates throw-away databases of the configured kind and removes them afterwards."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.created: list[tuple[str, Engine]] = []

    def url(self) -> str:
        name = f"govflow_test_{uuid.uuid4().hex[:12]}"
        if DATABASE == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.db')}"
        admin = make_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)

    def engine(self, create_schema: bool = True) -> Engine:
        url = self.url()
        engine = make_engine(url)
        if create_schema:
            Base.metadata.create_all(engine)
        self.created.append((url, engine))
        return engine

    def close_idle(self) -> None:
        """Close the pooled connections of every engine a test left open (its own and the apps'): a
        long PostgreSQL run would otherwise keep one or two per test and exhaust max_connections. The
        engines stay usable; the next use opens a connection again."""
        from webapp.extensions import db

        for _url, engine in self.created:
            engine.dispose()
        for engines in list(db._app_engines.values()):
            for engine in engines.values():
                engine.dispose()

    def drop_all(self) -> None:
        for url, engine in self.created:
            engine.dispose()
            if DATABASE != "sqlite":
                admin = make_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
                admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    factory.drop_all()


@pytest.fixture(autouse=True)
def _close_idle_connections(databases: DatabaseFactory) -> Iterator[None]:
    yield
    if DATABASE != "sqlite":  # SQLite files need no server slots (and an in-memory one would be lost)
        databases.close_idle()


@pytest.fixture(scope="session")
def db_engine(databases: DatabaseFactory) -> Engine:
    return databases.engine()


@pytest.fixture
def fresh_engine(databases: DatabaseFactory) -> Callable[[], Engine]:
    """A new empty database with the schema, for tests that must really commit (locks, crashes)."""
    return databases.engine


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """One transaction per test, rolled back at the end; services may flush and use savepoints."""
    connection = db_engine.connect()
    outer = connection.begin()
    sess = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield sess
    finally:
        sess.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def now() -> datetime:
    return NOW


def pytest_report_header() -> str:
    return f"govflow test database: {DATABASE}"


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the xdist controller, or a run without xdist
        FIGURES.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The reliability figures the workers wrote, and the corpus in figures (MANIFEST: 76 files)."""
    if FIGURES.exists():
        terminalreporter.section("reliability figures")
        for line in FIGURES.read_text(encoding="utf-8").splitlines():
            terminalreporter.write_line(line)
    passed = [r for r in terminalreporter.stats.get("passed", [])
              if "test_deploys_or_is_refused_as_expected[" in r.nodeid]
    if not passed:
        return
    names = [r.nodeid.split("[", 1)[1].rstrip("]") for r in passed]
    deployed = sum(EXPECTATIONS[n].outcome == DEPLOYED for n in names if n in EXPECTATIONS)
    terminalreporter.write_line(f"conformance corpus: {deployed} deployed / {len(names) - deployed} refused "
                                f"of {len(names)} checked files")
