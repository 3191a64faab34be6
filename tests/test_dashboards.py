"""Section and project dashboards: the route × role matrix, flags, empty states and filters."""

from __future__ import annotations

import csv
import io

import pytest

from olap.core.flags import set_flag
from olap.core.migrations import Migrator
from olap.ingest import ingest_lines
from support import sign_in

VIEW = (
    '{"actor":{"account":{"homePage":"lms.example.edu","name":%(user)d}},'
    '"context":{"extensions":{"http://oli.cmu.edu/extensions/page_id":%(page)d,"http://oli.cmu.edu/extensions/project_id":%(project)d,'
    '"http://oli.cmu.edu/extensions/section_id":%(section)d}},"object":{"definition":{"type":"http://oli.cmu.edu/extensions/types/page"},'
    '"id":"lms.example.edu/page/%(page)d}","objectType":"Page"},"timestamp":"%(time)s",'
    '"verb":{"id":"http://id.tincanapi.com/verb/viewed"}}'
)


def views(section: int, project: int, page: int, users: range, time: str = "2026-02-10T15:00:00Z") -> list[str]:
    return [VIEW % {"user": user, "page": page, "project": project, "section": section, "time": time} for user in users]


@pytest.fixture
def dashboards(instance, seeded):
    """Seeded users and sections, with page views in sections 2051, 2077 and 3001 and both dashboard flags on."""
    Migrator(instance.config.clickhouse_admin).up()
    lines = views(2051, 318, 11, range(1, 6)) + views(2077, 318, 11, range(10, 13)) + views(2077, 318, 12, range(10, 12)) + views(3001, 400, 21, range(20, 29))
    ingest_lines(instance.clickhouse_admin, lines, "fixture.jsonl")
    for flag in ("instructor_dashboard_analytics", "project_dashboard_analytics"):
        set_flag(instance.config.flags_file, instance.registry.flags, flag, True)
    return instance


ROUTES = {
    "section-2051": "/sections/2051/analytics",
    "section-2051-tab": "/sections/2051/analytics/engagement",
    "section-2051-csv": "/sections/2051/analytics/engagement/engagement_top_pages.csv",
    "section-2077-tab": "/sections/2077/analytics/engagement",
    "section-3001": "/sections/3001/analytics",
    "project-318": "/projects/318/analytics",
    "project-318-tab": "/projects/318/analytics/engagement",
    "project-400-csv": "/projects/400/analytics/engagement/engagement_top_pages.csv",
    "section-999": "/sections/999/analytics",
}
EXPECTED = {
    "admin": {name: 200 for name in ROUTES} | {"section-999": 404},
    "instructor": {"section-2051": 200, "section-2051-tab": 200, "section-2051-csv": 200, "section-2077-tab": 404, "section-3001": 404, "project-318": 404, "project-318-tab": 404, "project-400-csv": 404, "section-999": 404},
    "author": {"section-2051": 404, "section-2051-tab": 404, "section-2051-csv": 404, "section-2077-tab": 404, "section-3001": 404, "project-318": 200, "project-318-tab": 200, "project-400-csv": 404, "section-999": 404},
}
EMAILS = {"admin": "admin@example.edu", "instructor": "teach@example.edu", "author": "author@example.edu"}


@pytest.mark.parametrize("role", ["admin", "instructor", "author"])
def test_route_role_matrix(client, dashboards, role):
    sign_in(client, EMAILS[role])

    statuses = {name: client.get(path).status_code for name, path in ROUTES.items()}

    assert statuses == EXPECTED[role]


def test_signed_out_user_is_sent_to_login(client, dashboards):
    for path in ROUTES.values():
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(("flag", "path"), [("instructor_dashboard_analytics", "/sections/2051/analytics/engagement"), ("project_dashboard_analytics", "/projects/318/analytics"), ("clickhouse-olap", "/sections/2051/analytics")], ids=["section-flag", "project-flag", "global-flag"])
def test_flag_off_is_403_with_reason(client, dashboards, flag, path):
    set_flag(dashboards.config.flags_file, dashboards.registry.flags, flag, False)
    sign_in(client, "admin@example.edu")

    response = client.get(path)

    assert response.status_code == 403
    assert flag in response.get_data(as_text=True)


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_section_numbers_stay_in_section(client, dashboards):
    sign_in(client, "teach@example.edu")

    rows = read_csv(client.get("/sections/2051/analytics/engagement/engagement_top_pages.csv"))

    assert rows == [{"page_id": "11", "views": "5", "viewers": "5", "completion_rate": "0.0", "page_title": "Page 11"}]


def test_project_numbers_cover_its_sections(client, dashboards):
    sign_in(client, "author@example.edu")

    rows = read_csv(client.get("/projects/318/analytics/engagement/engagement_top_pages.csv?top=all"))

    assert [(row["page_id"], row["views"], row["viewers"]) for row in rows] == [("11", "8", "8"), ("12", "2", "2")]


def test_titles_come_from_resources(client, dashboards):
    from olap.core.models import Resource

    dashboards.db.session.add(Resource(project_id=318, kind="page", resource_id=11, title="Enthalpy"))
    dashboards.db.session.commit()
    sign_in(client, "teach@example.edu")

    rows = read_csv(client.get("/sections/2051/analytics/engagement/engagement_top_pages.csv"))

    assert rows[0]["page_title"] == "Enthalpy"


def test_empty_states(client, dashboards):
    from olap.core.models import Section

    dashboards.db.session.add(Section(id=2099, project_id=318, title="Chem C"))
    dashboards.db.session.commit()
    sign_in(client, "admin@example.edu")

    never = client.get("/sections/2099/analytics/engagement").get_data(as_text=True)
    outside = client.get("/sections/2051/analytics/engagement?start=2025-01-01&end=2025-01-31").get_data(as_text=True)

    assert never.count("No data ingested for this section yet.") == 2
    assert outside.count("No activity in this range (2025-01-01 to 2025-01-31).") == 2
    assert "vega-chart" not in never + outside


def test_time_zone_moves_day_boundary(client, dashboards):
    ingest_lines(dashboards.clickhouse_admin, views(2051, 318, 13, range(40, 43), time="2026-03-01T03:30:00Z"), "late.jsonl")
    sign_in(client, "admin@example.edu")

    new_york = read_csv(client.get("/sections/2051/analytics/engagement/engagement_views_heatmap.csv?tz=America/New_York&start=2026-02-01&end=2026-03-31"))
    utc = read_csv(client.get("/sections/2051/analytics/engagement/engagement_views_heatmap.csv?tz=UTC&start=2026-02-01&end=2026-03-31"))

    assert {row["day"] for row in new_york if row["page_id"] == "13"} == {"2026-02-28"}
    assert {row["day"] for row in utc if row["page_id"] == "13"} == {"2026-03-01"}


def test_top_n_limits_rows(client, dashboards):
    lines = []
    for page in range(100, 130):
        lines += views(2051, 318, page, range(1, 2 + page % 3))
    ingest_lines(dashboards.clickhouse_admin, lines, "many-pages.jsonl")
    sign_in(client, "admin@example.edu")

    ten = read_csv(client.get("/sections/2051/analytics/engagement/engagement_top_pages.csv"))
    every = read_csv(client.get("/sections/2051/analytics/engagement/engagement_top_pages.csv?top=all"))

    assert len(ten) == 10
    assert len(every) == 31
    assert ten[0]["page_id"] == "11"
    assert [int(row["views"]) for row in every] == sorted((int(row["views"]) for row in every), reverse=True)


@pytest.mark.parametrize(("query", "message"), [("start=2026-13-01", "is not a date"), ("start=2026-03-01&end=2026-02-01", "is before the start date"), ("tz=Mars/Base", "is not an IANA time zone"), ("top=7", "is not offered")], ids=["date", "order", "zone", "top"])
def test_bad_filters_are_400(client, dashboards, query, message):
    sign_in(client, "admin@example.edu")

    response = client.get(f"/sections/2051/analytics/engagement?{query}")

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_dashboard_page_has_tabs_and_filters(client, dashboards):
    sign_in(client, "teach@example.edu")

    page = client.get("/sections/2051/analytics").get_data(as_text=True)

    assert 'role="tablist"' in page
    assert 'hx-get="/sections/2051/analytics/engagement?' in page
    assert 'value="2026-02-10"' in page
    assert "America/New_York" in page
    assert "vendor/vega-embed.min.js" in page
