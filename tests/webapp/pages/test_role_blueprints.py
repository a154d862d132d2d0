"""Each role blueprint checks its role once: supervisors, administrators, and a public portal."""

from __future__ import annotations

from typing import Any

from flask import Flask


def test_supervision_needs_a_supervisor_or_leader(as_user: Any) -> None:
    assert as_user("zhang").get("/supervision/").status_code == 403
    assert as_user("supervisor").get("/supervision/").status_code == 200
    assert as_user("mayor_wang").get("/supervision/").status_code == 200


def test_admin_needs_the_admin_group(as_user: Any) -> None:
    assert as_user("supervisor").get("/admin/").status_code == 403
    assert as_user("admin").get("/admin/users").status_code == 200


def test_portal_is_public_and_login_pages_redirect(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/portal/").status_code == 200
    for url in ("/supervision/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_department_coded_like_a_role_grants_nothing(app: Flask, as_user: Any) -> None:
    """Department codes match BPMN lanes; only group membership makes an administrator,
    designer or supervisor (a department coded 'admin' once opened every admin page)."""
    from engine.org import directory as org
    from webapp.extensions import db

    with app.app_context():
        for name, department in (("dept_admin", "admin"), ("dept_sup", "supervisor"), ("dept_design", "designer")):
            org.create_user(db.session(), name, department=department)
        db.session.commit()
    for name in ("dept_admin", "dept_sup", "dept_design"):
        client = as_user(name)
        for url in ("/admin/", "/supervision/", "/designer/"):
            assert client.get(url).status_code == 403, (name, url)
        page = client.get("/inbox/").get_data(as_text=True)
        assert 'href="/admin/' not in page and 'href="/supervision/' not in page, name
    # The same names as groups do open them.
    assert as_user("admin").get("/admin/users").status_code == 200
    assert as_user("supervisor").get("/supervision/").status_code == 200
