"""统一身份 pages against a real slapd: the last sync, role mappings edited on the page, where each right
of a person comes from, and a leaver's open step handed on or given back to its pool."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import ldap3
import pytest
from flask import Flask

from engine.flow import definitions, instances, tasks
from engine.ops import directory_sync
from engine.org import ldap_source
from tests import ldap_server
from tests.conftest import NOW
from tests.engine.ops.test_directory_sync import TWO_STEPS
from tests.webapp.pages.test_admin_pages import field_error
from webapp.extensions import db


@pytest.fixture
def slapd(tmp_path) -> Iterator[ldap_server.Slapd]:
    ldap_server.require_slapd()
    yield from ldap_server.running(tmp_path / "ldap", ldap_server.office_ldif(60))


def _sync(app: Flask, slapd: ldap_server.Slapd) -> None:
    with app.app_context():
        directory_sync.run(db.session(), "admin", NOW, ldap_source.settings_from_env(slapd.env()))
        db.session.commit()


def test_only_administrators_reach_the_directory_page(app: Flask, as_user: Any) -> None:
    assert as_user("zhang").get("/admin/directory").status_code == 403
    assert as_user("zhang").post("/admin/directory/mappings", data={"directory_group": "x", "role": "admin"}
                                 ).status_code == 403
    page = as_user("admin").get("/admin/directory")
    assert page.status_code == 200 and "尚未从目录同步" in page.text


def test_mappings_and_where_rights_come_from(app: Flask, as_user: Any, slapd) -> None:
    _sync(app, slapd)
    admin = as_user("admin")
    page = admin.get("/admin/directory").text
    assert "最近一次同步" in page and "人员：新增 59" in page
    refused = admin.post("/admin/directory/mappings", data={"directory_group": "", "role": "city_leader"})
    assert refused.status_code == 400 and "请先同步目录" in field_error(refused.text, "directory_group")
    assert admin.post("/admin/directory/mappings", data={"directory_group": "sign_leaders", "role": "city_leader"}
                      ).status_code == 302
    page = admin.get("/admin/directory").text
    assert "签发领导" in page and "sign_leaders" not in html.unescape(page.split("<select")[0])
    person = admin.get("/admin/users/p0002").text
    assert "由目录组「签发领导」映射" in person and "目录组成员" in person and "13800000002" in person
    assert 'name="groups" value=""' in person  # nothing was assigned here: the field holds only local roles
    saved = admin.post("/admin/users/p0002", data={"display_name": "职员0002", "groups": "designer", "active": "1",
                                                   "department": "budget"})
    assert saved.status_code == 302
    person = admin.get("/admin/users/p0002").text
    assert 'name="groups" value="designer"' in person and "由目录组「签发领导」映射" in person


def test_a_leavers_step_is_handed_on_or_pooled(app: Flask, as_user: Any, slapd) -> None:
    _sync(app, slapd)
    with app.app_context():
        s = db.session()
        definitions.deploy(s, "admin", NOW, [("unit_work.bpmn", TWO_STEPS)])
        inst = instances.start(s, "admin", NOW, "unit_work", {"unit": "office", "person": "p0020"})
        rows = {r.element_id: r.id for r in tasks.open_for_instance(s, inst.id)}
        tasks.claim(s, "p0020", NOW, rows["pooled"])
        s.commit()
    conn = ldap3.Connection(ldap3.Server(slapd.url), ldap_server.ADMIN_DN, ldap_server.PASSWORD, auto_bind=True)
    conn.delete(ldap_server.person_dn("p0020", "office"))
    conn.unbind()
    _sync(app, slapd)
    admin = as_user("admin")
    page = admin.get("/admin/directory").text
    assert page.count('data-left="task"') == 2 and "职员0020" in page and "p0020" not in page
    assert "Unit check" in page and "退回候选人池" in page
    nobody = admin.post(f"/admin/directory/tasks/{rows['personal']}/transfer", data={"to_user": "nobody"})
    failed_row = nobody.text.rsplit(f"/admin/directory/tasks/{rows['personal']}/transfer", 1)[1]  # its own form
    assert nobody.status_code == 400 and "没有用户名" in field_error(failed_row, "to_user")
    assert 'value="nobody"' in nobody.text  # what was typed is shown again
    assert admin.post(f"/admin/directory/tasks/{rows['personal']}/transfer",
                      data={"to_user": "zhang", "reason": "接手"}).status_code == 302
    assert admin.post(f"/admin/directory/tasks/{rows['pooled']}/pool").status_code == 302
    with app.app_context():
        s = db.session()
        assert tasks.get(s, rows["personal"]).assignee == "zhang"
        assert tasks.get(s, rows["pooled"]).assignee is None
    assert 'data-left="task"' not in admin.get("/admin/directory").text
