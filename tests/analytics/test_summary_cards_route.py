"""The summary cards partial over HTTP: who may open it, flags, the numbers shown and empty states."""

from __future__ import annotations

import pytest

from olap.core.flags import set_flag
from olap.core.migrations import Migrator
from olap.ingest import ingest_lines
from support import sign_in

from .conftest import SECTION, in_scope
from .sample import generate

SECTION_CARDS = "/sections/2051/analytics/summary/cards?start=2026-02-01&end=2026-03-31&tz=UTC"
ROUTES = {
    "section-2051": SECTION_CARDS,
    "section-2077": "/sections/2077/analytics/summary/cards",
    "project-318": "/projects/318/analytics/summary/cards",
    "project-400": "/projects/400/analytics/summary/cards",
}
EXPECTED = {
    "admin": {"section-2051": 200, "section-2077": 200, "project-318": 200, "project-400": 200},
    "instructor": {"section-2051": 200, "section-2077": 404, "project-318": 404, "project-400": 404},
    "author": {"section-2051": 404, "section-2077": 404, "project-318": 200, "project-400": 404},
}
EMAILS = {"admin": "admin@example.edu", "instructor": "teach@example.edu", "author": "author@example.edu"}


@pytest.fixture
def dashboards(instance, seeded):
    """Seeded users and sections, the generated sample ingested, and both dashboard flags on."""
    Migrator(instance.config.clickhouse_admin).up()
    ingest_lines(instance.clickhouse_admin, generate().lines, "analytics-sample.jsonl")
    for flag in ("instructor_dashboard_analytics", "project_dashboard_analytics"):
        set_flag(instance.config.flags_file, instance.registry.flags, flag, True)
    return instance


def test_summary_cards_route_permissions(app, dashboards):
    statuses = {}
    for role, email in EMAILS.items():
        client = app.test_client()
        sign_in(client, email)
        statuses[role] = {name: client.get(path, headers={"HX-Request": "true"}).status_code for name, path in ROUTES.items()}

    admin = app.test_client()
    sign_in(admin, "admin@example.edu")
    set_flag(dashboards.config.flags_file, dashboards.registry.flags, "instructor_dashboard_analytics", False)
    flag_off = admin.get(SECTION_CARDS)

    assert statuses == EXPECTED
    assert flag_off.status_code == 403
    assert "instructor_dashboard_analytics" in flag_off.get_data(as_text=True)


def test_summary_cards_show_numbers_and_states(client, dashboards):
    sample = generate()
    events = [event for event in sample.events if in_scope(event, SECTION)]
    sign_in(client, "teach@example.edu")

    fragment = client.get(SECTION_CARDS, headers={"HX-Request": "true"}).get_data(as_text=True)
    full_page = client.get(SECTION_CARDS).get_data(as_text=True)
    empty_range = client.get("/sections/2051/analytics/summary/cards?start=2025-01-01&end=2025-01-31").get_data(as_text=True)

    assert "<html" not in fragment
    assert "<html" in full_page
    assert f'<span class="value">{len(events):,}</span> total events' in fragment
    assert f'<span class="value">{len({event.user_id for event in events})}</span> active students' in fragment
    assert "No activity" not in fragment
    assert "No activity in this range (2025-01-01 to 2025-01-31)." in empty_range
