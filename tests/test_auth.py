"""Sign-in, CSRF, the permission rule and audit records, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from support import sign_in
from olap.core.auth import create_user
from olap.core.errors import Conflict, NotFound, UserInputError
from olap.core.models import AuditEvent, User
from olap.core.permissions import can


def csrf_token_of(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def test_signed_out_user_is_sent_to_login(client, seeded):
    response = client.get("/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_then_home_shows_own_sections(client, seeded):
    response = sign_in(client, "teach@example.edu")
    home = client.get("/").get_data(as_text=True)

    assert response.status_code == 302
    assert "Chem A" in home
    assert "Chem B" not in home
    assert "Physics A" not in home
    assert "teach@example.edu" in home


def test_admin_home_lists_every_section(client, seeded):
    sign_in(client, "admin@example.edu")
    home = client.get("/").get_data(as_text=True)

    assert all(title in home for title in ("Chem A", "Chem B", "Physics A"))
    assert 'href="/admin/plugins"' in home


def test_wrong_password_is_rejected_and_audited(client, instance, seeded):
    response = sign_in(client, "teach@example.edu", "wrong-password")

    assert response.status_code == 401
    assert "The email or password is incorrect." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    events = instance.db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login")).all()
    assert [(event.actor, event.outcome) for event in events] == [("teach@example.edu", "failed")]


def test_login_and_logout_are_audited(client, instance, seeded):
    sign_in(client, "author@example.edu")
    response = client.post("/logout", data={"csrf_token": csrf_token_of(client)})

    assert response.status_code == 302
    assert client.get("/").status_code == 302
    rows = instance.db.session.execute(select(AuditEvent.action, AuditEvent.outcome, AuditEvent.user_id).order_by(AuditEvent.id)).all()
    author_id = seeded["author"].id
    assert rows == [("login", "succeeded", author_id), ("logout", "succeeded", author_id)]


def test_post_without_csrf_token_is_rejected(client, seeded):
    sign_in(client, "admin@example.edu")

    response = client.post("/logout")

    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_htmx_post_with_csrf_header_is_accepted(client, seeded):
    sign_in(client, "admin@example.edu")
    token = csrf_token_of(client)

    response = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})

    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_login_ignores_offsite_next(client, seeded):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    response = client.post("/login?next=https://evil.example/", data={"email": "admin@example.edu", "password": "password1", "csrf_token": token})

    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("role", "permission", "ids", "expected"),
    [
        ("admin", "admin", {}, True),
        ("admin", "view_section", {"section_id": 3001}, True),
        ("instructor", "view_section", {"section_id": 2051}, True),
        ("instructor", "view_section", {"section_id": 2077}, False),
        ("instructor", "view_project", {"project_id": 318}, False),
        ("instructor", "admin", {}, False),
        ("author", "view_project", {"project_id": 318}, True),
        ("author", "view_project", {"project_id": 400}, False),
        ("author", "view_section", {"section_id": 2051}, False),
        ("author", "admin", {}, False),
    ],
    ids=lambda value: str(value),
)
def test_permission_rule(instance, seeded, role, permission, ids, expected):
    assert can(instance.db.session, seeded[role], permission, **ids) is expected


@pytest.mark.parametrize(("email", "status"), [(None, 302), ("teach@example.edu", 403), ("author@example.edu", 403), ("admin@example.edu", 200)], ids=["anonymous", "instructor", "author", "admin"])
def test_admin_plugins_page_by_role(client, seeded, email, status):
    if email:
        sign_in(client, email)

    assert client.get("/admin/plugins").status_code == status


def test_deactivated_user_cannot_sign_in(client, instance, seeded):
    seeded["author"].active = False
    instance.db.session.commit()

    assert sign_in(client, "author@example.edu").status_code == 401


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (("bad-email", "password1", "admin"), UserInputError),
        (("new@example.edu", "short", "admin"), UserInputError),
        (("new@example.edu", "password1", "owner"), UserInputError),
        (("new@example.edu", "password1", "instructor"), UserInputError),
        (("ADMIN@example.edu", "password1", "admin"), Conflict),
    ],
    ids=["email", "short-password", "role", "instructor-without-section", "duplicate-email"],
)
def test_create_user_rejects_bad_input(instance, seeded, arguments, error):
    with pytest.raises(error):
        create_user(instance.db.session, *arguments)


def test_create_user_needs_existing_section(instance, seeded):
    with pytest.raises(NotFound, match="Section 999 does not exist"):
        create_user(instance.db.session, "new@example.edu", "password1", "instructor", section_ids=[999])


def test_passwords_are_stored_hashed(instance, seeded):
    stored = instance.db.session.scalar(select(User.password_hash).where(User.email == "admin@example.edu"))

    assert "password1" not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


def test_repeated_failures_are_rate_limited(client, instance, seeded):
    statuses = [sign_in(client, "teach@example.edu", "wrong-password").status_code for _attempt in range(12)]
    blocked = sign_in(client, "teach@example.edu", "password1")

    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    outcomes = [event.outcome for event in instance.db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login"))]
    assert outcomes.count("rate_limited") == 3
