"""The admin flags page: stages, reach over the metadata sections, changes, rollback and access."""

from __future__ import annotations

import re

from sqlalchemy import select

from olap.core.models import AuditEvent
from support import sign_in


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_admin_sees_flags_and_reach(client, seeded):
    sign_in(client, "admin@example.edu")

    page = client.get("/admin/flags/")

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "instructor_dashboard_analytics" in text
    assert "0 of 3 sections" in text
    assert "0 of 2 projects" in text


def test_full_stage_turns_every_section_on(client, seeded, instance):
    sign_in(client, "admin@example.edu")
    token = csrf(client, "/admin/flags/")

    response = client.post("/admin/flags/instructor_dashboard_analytics/stage", data={"stage": "full", "csrf_token": token}, headers={"HX-Request": "true"})

    text = response.get_data(as_text=True)
    events = instance.db.session.scalars(select(AuditEvent).where(AuditEvent.action == "flag.stage")).all()
    assert response.status_code == 200
    assert "3 of 3 sections" in text
    assert "off → full" in text
    assert [(event.actor, event.detail["from"], event.detail["to"]) for event in events] == [("admin@example.edu", "off", "full")]


def test_rollback_button_steps_back(client, seeded):
    sign_in(client, "admin@example.edu")
    token = csrf(client, "/admin/flags/")
    client.post("/admin/flags/project_dashboard_analytics/stage", data={"stage": "five_percent", "csrf_token": token})

    response = client.post("/admin/flags/project_dashboard_analytics/rollback", data={"csrf_token": token}, follow_redirects=True)

    assert "project_dashboard_analytics: five_percent → internal_only." in response.get_data(as_text=True)


def test_unknown_stage_is_rejected(client, seeded):
    sign_in(client, "admin@example.edu")
    token = csrf(client, "/admin/flags/")

    response = client.post("/admin/flags/clickhouse-olap/stage", data={"stage": "fifty_percent", "csrf_token": token})

    assert response.status_code == 400


def test_instructor_cannot_open_flags_page(client, seeded):
    sign_in(client, "teach@example.edu")

    assert client.get("/admin/flags/").status_code == 403
