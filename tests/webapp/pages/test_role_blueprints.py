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
