"""`org sync` against a real slapd on loopback: the seeded tree becomes departments, people and groups;
a dry run changes nothing; a run is idempotent and resumable; a mover's pooled steps go back to the old
unit, a leaver is disabled, signed out and their open work listed; directory groups map to roles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import ldap3
import pytest
from sqlalchemy import func, select

from engine.core.errors import InvalidInput
from engine.flow import definitions, instances, tasks
from engine.flow.models import HumanTask
from engine.ops import directory_sync as sync
from engine.org import directory, ldap_source, roles, sign_on
from engine.org import directory_sync as org_sync
from engine.org.models import Department, Membership, User
from tests import ldap_server
from tests.ldap_server import ADMIN_DN, PASSWORD, person_dn, unit_dn

TWO_STEPS = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://govflow.example/tests">
  <bpmn:process id="unit_work" name="Unit work" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="split"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="pooled" name="Unit check" camunda:candidateGroups="${unit}_clerk">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="personal" name="Personal note" camunda:candidateUsers="${person}">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:parallelGateway id="join"><bpmn:incoming>f4</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f6</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="pooled"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="personal"/>
    <bpmn:sequenceFlow id="f4" sourceRef="pooled" targetRef="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="personal" targetRef="join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def slapd(tmp_path) -> Iterator[ldap_server.Slapd]:
    ldap_server.require_slapd()
    yield from ldap_server.running(tmp_path, ldap_server.office_ldif(200))


@pytest.fixture
def settings(slapd) -> ldap_source.DirectorySettings:
    return ldap_source.settings_from_env(slapd.env())


def _ldap(slapd) -> ldap3.Connection:
    return ldap3.Connection(ldap3.Server(slapd.url), ADMIN_DN, PASSWORD, auto_bind=True, raise_exceptions=True)


def _user(session, login: str) -> User:
    return directory.get_user(session, login)


def test_dry_run_lists_the_tree_and_changes_nothing(session, now, settings) -> None:
    plan = sync.run(session, "admin", now, settings, dry_run=True)
    assert plan.summary() == {"unit": {"added": 6}, "person": {"added": 199}, "group": {"added": 12}}
    assert session.scalar(select(func.count()).select_from(User)) == 0
    assert session.scalar(select(func.count()).select_from(Department)) == 0


def test_sync_builds_departments_people_and_groups(session, now, settings) -> None:
    done: list[tuple[int, int]] = []
    sync.run(session, "admin", now, settings, batch_size=50, after_batch=lambda d, t: done.append((d, t)))
    assert done[-1] == (217, 217) and len(done) == 5
    budget = session.scalar(select(Department).where(Department.code == "budget"))
    assert budget.name == "预算科" and budget.parent.code == "finance" and budget.parent.parent.code == "city"
    clerk = _user(session, "p0010")
    assert (clerk.display_name, clerk.email, clerk.mobile) == ("职员0010", "p0010@gov.test", "13800000010")
    assert clerk.department.code == "office" and clerk.password_hash is None and clerk.active
    assert directory.find_user(session, "p0003") is None  # disabled in the directory before we ever saw them
    assert "office_clerk" in directory.member_groups(session, "p0010")
    assert len(directory.group_members(session, "finance_clerk")) == 40
    assert sync.plan(session, settings).changes == []  # a second run finds nothing to do


def test_an_interrupted_run_is_finished_by_the_next(session, now, settings) -> None:
    class Stop(Exception):
        pass

    def crash(done: int, total: int) -> None:
        if done >= 100:
            raise Stop

    with pytest.raises(Stop):
        sync.run(session, "admin", now, settings, batch_size=50, after_batch=crash)
    assert 0 < session.scalar(select(func.count()).select_from(User)) < 199
    rest = sync.plan(session, settings)
    assert rest.summary()["person"]["added"] == 199 - session.scalar(select(func.count()).select_from(User))
    sync.run(session, "admin", now, settings)
    assert session.scalar(select(func.count()).select_from(User)) == 199
    assert sync.plan(session, settings).changes == []


def _claimed_work(session, now, login: str, unit: str) -> tuple[HumanTask, HumanTask]:
    definitions.deploy(session, "admin", now, [("unit_work.bpmn", TWO_STEPS)])
    inst = instances.start(session, "admin", now, "unit_work", {"unit": unit, "person": login})
    rows = {r.element_id: r for r in tasks.open_for_instance(session, inst.id)}
    tasks.claim(session, login, now, rows["pooled"].id)
    tasks.claim(session, login, now, rows["personal"].id)
    return rows["pooled"], rows["personal"]


def test_mover_leaver_and_disabled_person(session, now: datetime, slapd, settings) -> None:
    directory.create_user(session, "admin", groups=["admin"])
    sync.run(session, "admin", now, settings)
    pooled, personal = _claimed_work(session, now, "p0010", "office")
    leaver_step, _ = _claimed_work(session, now, "p0020", "office")
    generation = _user(session, "p0020").session_generation
    conn = _ldap(slapd)
    conn.modify_dn(person_dn("p0010", "office"), "uid=p0010", new_superior=unit_dn("finance"))
    conn.delete(f"cn=office_clerk,{unit_dn('office')}")  # membership goes with the group entry
    conn.add(f"cn=office_clerk,{unit_dn('office')}", "groupOfNames",
             {"cn": "office_clerk", "member": [person_dn("p0005", "office")]})
    conn.delete(person_dn("p0020", "office"))
    conn.modify(person_dn("p0030", "office"), {"employeeType": [(ldap3.MODIFY_ADD, ["disabled"])]})
    conn.unbind()

    plan = sync.run(session, "admin", now, settings, dry_run=True)
    moved = [c for c in plan.changes if c.action == "moved"]
    assert [c.label for c in moved] == ["职员0010 (p0010)"] and moved[0].details[0] == "部门 office → finance"
    assert sorted(c.label for c in plan.changes if c.action == "disabled") == ["职员0020 (p0020)", "职员0030 (p0030)"]
    assert _user(session, "p0010").department.code == "office"  # a dry run changed nothing

    sync.run(session, "admin", now, settings)
    mover = _user(session, "p0010")
    assert mover.department.code == "finance" and mover.active
    assert pooled.assignee is None and pooled.claimed_at is None  # back to the office clerks' pool
    assert personal.assignee == "p0010"  # the step names the person: it stays theirs
    leaver = _user(session, "p0020")
    assert not leaver.active and leaver.directory_status == "removed"
    assert leaver.session_generation == generation + 1
    assert not _user(session, "p0030").active
    left = sync.leavers_work(session)
    assert {(w.step, w.holder, w.pool) for w in left} == {("Unit check", "p0020", True), ("Personal note", "p0020", False)}
    sync.return_to_pool(session, "admin", now, leaver_step.id)
    assert leaver_step.assignee is None
    assert {w.step for w in sync.leavers_work(session)} == {"Personal note"}
    with pytest.raises(InvalidInput, match="候选组"):
        sync.return_to_pool(session, "admin", now, next(w.id for w in sync.leavers_work(session)))
    assert sync.plan(session, settings).changes == []


def test_a_person_back_in_the_directory_is_enabled_again(session, now, slapd, settings) -> None:
    sync.run(session, "admin", now, settings)
    conn = _ldap(slapd)
    conn.modify(person_dn("p0030", "office"), {"employeeType": [(ldap3.MODIFY_ADD, ["disabled"])]})
    sync.run(session, "admin", now, settings)
    assert not _user(session, "p0030").active
    conn.modify(person_dn("p0030", "office"), {"employeeType": [(ldap3.MODIFY_DELETE, ["disabled"])]})
    conn.unbind()
    plan = sync.run(session, "admin", now, settings)
    assert [c.action for c in plan.changes] == ["enabled"] and _user(session, "p0030").active


def test_an_account_disabled_here_stays_disabled(session, now, settings) -> None:
    sync.run(session, "admin", now, settings)
    _user(session, "p0040").active = False
    assert sync.plan(session, settings).changes == []
    sync.run(session, "admin", now, settings)
    assert not _user(session, "p0040").active


def test_existing_accounts_are_linked_and_local_roles_kept(session, now, settings) -> None:
    directory.create_user(session, "p0011", groups=["admin"], display_name="旧名")
    plan = sync.run(session, "admin", now, settings)
    [linked] = [c for c in plan.changes if c.label == "职员0011 (p0011)"]
    assert linked.action == "moved" and "关联已有账号 / linked" in linked.details  # from no unit to office
    assert session.scalar(select(func.count()).select_from(User)) == 199
    assert {r.code: r.source for r in roles.rights(session, "p0011")} == {"admin": "local", "finance_clerk": "directory"}


def test_a_directory_group_never_takes_over_a_role_assigned_here(session, now, slapd, settings) -> None:
    directory.create_user(session, "root", groups=["sign_leaders"])
    plan = sync.run(session, "admin", now, settings)
    assert any("sign_leaders" in p for p in plan.problems)
    assert [u.username for u in directory.group_members(session, "sign_leaders")] == ["root"]


def test_a_group_the_identity_provider_named_first_is_taken_over(session, now, settings) -> None:
    directory.create_user(session, "root")
    idp = sign_on.SignOnSettings(issuer="https://idp.gov.test", client_id="govflow")
    sign_on.sign_in(session, now, idp, {"sub": "s-root", "preferred_username": "root", "groups": ["sign_leaders"]})
    plan = sync.run(session, "admin", now, settings)
    assert not [p for p in plan.problems if "sign_leaders" in p]
    assert [u.username for u in directory.group_members(session, "sign_leaders")] == ["p0001", "p0002"]
    assert sync.plan(session, settings).changes == []


def test_role_mapping_grants_and_withdraws_with_the_directory(session, now, slapd, settings) -> None:
    directory.create_user(session, "root", groups=["admin"])
    sync.run(session, "admin", now, settings)
    with pytest.raises(InvalidInput, match="目录组") as refused:
        roles.add_mapping(session, "root", now, "no_such_group", "city_leader")
    assert refused.value.field == "directory_group"
    roles.add_mapping(session, "root", now, "sign_leaders", "city_leader")
    roles.add_mapping(session, "root", now, "it_admins", "admin")
    assert [u.username for u in directory.group_members(session, "city_leader")] == ["p0001", "p0002"]  # p0003 is disabled
    assert directory.is_admin(session, "p0002")
    right = {r.code: r for r in roles.rights(session, "p0002")}["city_leader"]
    assert (right.source, right.via) == ("mapping", "sign_leaders")
    conn = _ldap(slapd)
    conn.modify(f"cn=sign_leaders,ou=groups,{ldap_server.SUFFIX}",
                {"member": [(ldap3.MODIFY_DELETE, [person_dn("p0001", "finance")])]})
    conn.unbind()
    sync.run(session, "admin", now, settings)
    assert [u.username for u in directory.group_members(session, "city_leader")] == ["p0002"]
    [mapping] = [m for m in roles.mappings(session) if m.role == "admin"]
    roles.remove_mapping(session, "root", now, mapping.id)
    assert not directory.is_admin(session, "p0002") and directory.is_admin(session, "root")
    assert session.scalar(select(func.count()).select_from(Membership).where(Membership.via == "it_admins")) == 0


def test_unreachable_directory_and_bad_settings_are_named(slapd) -> None:
    env = slapd.env()
    with pytest.raises(InvalidInput) as missing:
        ldap_source.settings_from_env({k: v for k, v in env.items() if k != "GOVFLOW_LDAP_BASE_DN"})
    assert missing.value.field == "GOVFLOW_LDAP_BASE_DN"
    with pytest.raises(InvalidInput) as bad:
        ldap_source.settings_from_env({**env, "GOVFLOW_LDAP_ATTRIBUTES": "login uid"})
    assert bad.value.field == "GOVFLOW_LDAP_ATTRIBUTES"
    with pytest.raises(InvalidInput) as schema:
        ldap_source.settings_from_env({**env, "GOVFLOW_LDAP_SCHEMA": "novell"})
    assert schema.value.field == "GOVFLOW_LDAP_SCHEMA"
    with pytest.raises(InvalidInput) as wrong:
        ldap_source.read(ldap_source.settings_from_env({**env, "GOVFLOW_LDAP_PASSWORD": "wrong"}))
    assert wrong.value.field == "GOVFLOW_LDAP_BIND_DN"
    slapd.stop()
    with pytest.raises(InvalidInput) as down:
        ldap_source.read(ldap_source.settings_from_env(env))
    assert down.value.field == "GOVFLOW_LDAP_URL"


def test_active_directory_defaults() -> None:
    ad = ldap_source.settings_from_env({"GOVFLOW_LDAP_URL": "ldaps://dc.gov.test", "GOVFLOW_LDAP_BASE_DN": "dc=gov",
                                        "GOVFLOW_LDAP_SCHEMA": "AD", "GOVFLOW_LDAP_ATTRIBUTES": "name=cn"})
    assert ad.attributes["login"] == "sAMAccountName" and ad.attributes["key"] == "objectGUID"
    assert ad.attributes["name"] == "cn" and "1.2.840.113556.1.4.803" in ad.filters["disabled"]
    assert org_sync.ACTIONS == ("added", "changed", "moved", "disabled", "enabled")
