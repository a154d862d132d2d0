"""The real `govflow org` command against slapd on loopback: the dry run's diff, a committed run, the
role mappings, and refusals that name the setting to fix."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from engine.core.db import make_sessionmaker
from engine.org.models import Department, User
from tests import ldap_server
from tests.webapp.test_cli import Cli, _one_line_error


@pytest.fixture
def slapd(tmp_path) -> Iterator[ldap_server.Slapd]:
    ldap_server.require_slapd()
    yield from ldap_server.running(tmp_path / "ldap", ldap_server.office_ldif(200))


def _count(engine, model) -> int:
    with make_sessionmaker(engine)() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_dry_run_then_sync_then_mappings(databases, tmp_path, slapd, monkeypatch) -> None:
    engine = databases.engine()
    for name, value in slapd.env().items():
        monkeypatch.setenv(name, value)
    run = Cli(engine.url.render_as_string(hide_password=False), tmp_path)
    dry = run("org", "sync", "--dry-run").stdout
    assert "added (217):" in dry and "\n  unit   预算科 (budget)\n" in dry
    assert "  person 职员0010 (p0010): 部门 office" in dry
    assert dry.strip().endswith("dry run, nothing changed: 217 added, 0 changed, 0 moved, 0 disabled, 0 enabled")
    assert _count(engine, User) == 0

    done = run("org", "sync", "--batch-size", "40")
    assert "applied: 217 added" in done.stdout and "syncing" in done.stderr
    assert _count(engine, User) == 199 and _count(engine, Department) == 6
    assert run.json("org", "sync")["changes"] == []

    run("users", "create", "root", "--group", "admin")
    refused = run("org", "map", "nobody_group", "city_leader", "--actor", "root", ok=False)
    assert "directory group 'nobody_group'" in _one_line_error(refused)
    run("org", "map", "sign_leaders", "city_leader", "--actor", "root")
    assert run.json("org", "mappings") == [{"directory_group": "sign_leaders", "role": "city_leader"}]
    run("org", "unmap", "sign_leaders", "city_leader", "--actor", "root")
    assert run("org", "mappings").stdout.strip() == "no mappings"


def test_missing_settings_and_a_wrong_password_are_named(databases, tmp_path, slapd, monkeypatch) -> None:
    engine = databases.engine()
    for name in [n for n in os.environ if n.startswith("GOVFLOW_LDAP_")]:
        monkeypatch.delenv(name)
    run = Cli(engine.url.render_as_string(hide_password=False), tmp_path)
    assert "GOVFLOW_LDAP_URL is not set" in _one_line_error(run("org", "sync", ok=False))
    for name, value in slapd.env(GOVFLOW_LDAP_PASSWORD="not-it").items():
        monkeypatch.setenv(name, value)
    assert "check GOVFLOW_LDAP_BIND_DN and GOVFLOW_LDAP_PASSWORD" in _one_line_error(run("org", "sync", ok=False))
