"""Routes of the Custom tab: the role matrix, runs with audit records, saved queries and the rate limit."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from olap.core.flags import set_flag
from olap.core.migrations import Migrator
from olap.core.models import AuditEvent
from olap.plugins.custom import runner, views
from support import sign_in

from .conftest import ingest_sample

EMAILS = {"admin": "admin@example.edu", "instructor": "teach@example.edu", "author": "author@example.edu"}
COUNT = "SELECT count() AS events FROM events WHERE 1 = 1 OR 1 = 1"
ROUTES = {
    "section-2051-editor": ("GET", "/sections/2051/analytics/custom"),
    "section-2051-run": ("POST", "/sections/2051/analytics/custom/run"),
    "section-2077-run": ("POST", "/sections/2077/analytics/custom/run"),
    "section-3001-editor": ("GET", "/sections/3001/analytics/custom"),
    "project-318-editor": ("GET", "/projects/318/analytics/custom"),
    "project-318-run": ("POST", "/projects/318/analytics/custom/run"),
    "project-400-run": ("POST", "/projects/400/analytics/custom/run"),
    "section-999-editor": ("GET", "/sections/999/analytics/custom"),
}
EXPECTED = {
    "admin": {name: 200 for name in ROUTES} | {"section-999-editor": 404},
    "instructor": {name: 404 for name in ROUTES} | {"section-2051-editor": 200, "section-2051-run": 200},
    "author": {name: 404 for name in ROUTES} | {"project-318-editor": 200, "project-318-run": 200},
}


@pytest.fixture
def custom(instance, seeded):
    """Seeded users and sections, the sample events, both dashboard flags on and a fresh rate limit."""
    Migrator(instance.config.clickhouse_admin).up()
    ingest_sample(instance.clickhouse_admin)
    for flag in ("instructor_dashboard_analytics", "project_dashboard_analytics"):
        set_flag(instance.config.flags_file, instance.registry.flags, flag, True)
    runner.RATE_LIMITER._runs.clear()
    return instance


def csrf_token(client) -> str:
    """Return the CSRF token of the signed-in session, from the layout's meta tag."""
    page = client.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def post(client, path: str, token: str, **form):
    return client.post(path, data=form, headers={"X-CSRFToken": token, "HX-Request": "true"})


@pytest.mark.parametrize("role", ["admin", "instructor", "author"])
def test_route_role_matrix(client, custom, role):
    sign_in(client, EMAILS[role])
    token = csrf_token(client)

    statuses = {}
    for name, (method, path) in ROUTES.items():
        response = client.get(path) if method == "GET" else post(client, path, token, sql=COUNT, spec="")
        statuses[name] = response.status_code

    assert statuses == EXPECTED[role]


def test_signed_out_user_is_sent_to_login(client, custom):
    for method, path in ROUTES.values():
        response = client.get(path) if method == "GET" else client.post(path)
        assert response.status_code in (302, 400)


def test_post_without_csrf_token_is_refused(client, custom):
    sign_in(client, EMAILS["admin"])

    response = client.post("/sections/2051/analytics/custom/run", data={"sql": COUNT})

    assert response.status_code == 400


def test_flag_off_is_403(client, custom):
    set_flag(custom.config.flags_file, custom.registry.flags, "instructor_dashboard_analytics", False)
    sign_in(client, EMAILS["admin"])

    response = client.get("/sections/2051/analytics/custom")

    assert response.status_code == 403


def test_run_shows_rows_sql_and_chart_of_own_section(client, custom):
    sign_in(client, EMAILS["instructor"])
    token = csrf_token(client)
    spec = '{"mark": "bar", "encoding": {"y": {"field": "events", "type": "quantitative"}}}'

    page = post(client, "/sections/2051/analytics/custom/run", token, sql=COUNT, spec=spec).get_data(as_text=True)

    assert "<td>138</td>" in page
    assert "scope_section_id" in page
    assert 'class="vega-chart"' in page
    assert "1 rows in" in page


def test_run_is_audited_with_hash_and_outcome(client, custom):
    sign_in(client, EMAILS["instructor"])
    token = csrf_token(client)

    post(client, "/sections/2051/analytics/custom/run", token, sql=COUNT)
    post(client, "/sections/2051/analytics/custom/run", token, sql="SELECT * FROM raw_events")

    events = custom.db.session.scalars(select(AuditEvent).where(AuditEvent.action == "custom_sql.run").order_by(AuditEvent.id)).all()
    assert [event.outcome for event in events] == ["ok", "rejected"]
    assert events[0].target == "section:2051"
    assert events[0].detail["rows"] == 1
    assert len(events[0].detail["sql_sha256"]) == 64
    assert events[1].detail["rule"] == "table"
    assert events[0].actor == EMAILS["instructor"]


def test_rejection_is_422_with_rule_position(client, custom):
    sign_in(client, EMAILS["instructor"])
    token = csrf_token(client)

    response = post(client, "/sections/2051/analytics/custom/run", token, sql="SELECT 1\nFROM system.tables")

    assert response.status_code == 422
    assert "line 2, column 6" in response.get_data(as_text=True)


def test_spec_with_data_url_is_rejected(client, custom):
    sign_in(client, EMAILS["instructor"])
    token = csrf_token(client)

    response = post(client, "/sections/2051/analytics/custom/run", token, sql=COUNT, spec='{"mark": "bar", "layer": [{"data": {"url": "http://127.0.0.1:1/x.csv"}}]}')

    assert response.status_code == 422
    assert "Chart spec rejected" in response.get_data(as_text=True)


def test_rate_limit_answers_429(client, custom, monkeypatch):
    monkeypatch.setitem(client.application.extensions["olap"].config.values, "CUSTOM_SQL_RUNS_PER_MINUTE", 2)
    sign_in(client, EMAILS["instructor"])
    token = csrf_token(client)

    statuses = [post(client, "/sections/2051/analytics/custom/run", token, sql=COUNT).status_code for _ in range(3)]
    last = post(client, "/sections/2051/analytics/custom/run", token, sql=COUNT).get_data(as_text=True)

    assert statuses == [200, 200, 429]
    assert "the maximum is 2" in last


def test_saved_queries_are_per_user_and_scope(client, custom):
    sign_in(client, EMAILS["admin"])
    token = csrf_token(client)

    post(client, "/sections/2051/analytics/custom/saved", token, name="Counts", sql=COUNT, spec="")
    listing = client.get("/sections/2051/analytics/custom").get_data(as_text=True)
    other_scope = client.get("/sections/2077/analytics/custom").get_data(as_text=True)
    saved_id = re.search(r"custom\?saved=(\d+)", listing).group(1)
    opened = client.get(f"/sections/2051/analytics/custom?saved={saved_id}").get_data(as_text=True)
    ran = post(client, "/sections/2051/analytics/custom/run", token, saved_id=saved_id).get_data(as_text=True)
    wrong_scope = post(client, "/sections/2077/analytics/custom/run", token, saved_id=saved_id)
    client.post("/logout", data={"csrf_token": token})
    sign_in(client, EMAILS["instructor"])
    foreign = client.get(f"/sections/2051/analytics/custom?saved={saved_id}")

    assert "Counts" in listing
    assert "Counts" not in other_scope
    assert "WHERE 1 = 1 OR 1 = 1" in opened
    assert "<td>138</td>" in ran
    assert wrong_scope.status_code == 404
    assert foreign.status_code == 404


def test_saved_query_delete(client, custom):
    sign_in(client, EMAILS["admin"])
    token = csrf_token(client)
    post(client, "/sections/2051/analytics/custom/saved", token, name="Counts", sql=COUNT, spec="")
    saved_id = re.search(r"custom\?saved=(\d+)", client.get("/sections/2051/analytics/custom").get_data(as_text=True)).group(1)

    response = post(client, f"/sections/2051/analytics/custom/saved/{saved_id}/delete", token)

    assert response.status_code == 200
    assert "Deleted &#39;Counts&#39;" in response.get_data(as_text=True)
    assert "Counts" not in client.get("/sections/2051/analytics/custom").get_data(as_text=True).split("Saved queries")[1]


def test_dashboard_lists_custom_tab_last(client, custom):
    sign_in(client, EMAILS["instructor"])

    page = client.get("/sections/2051/analytics").get_data(as_text=True)

    assert 'data-tab="custom"' in page
    assert page.index('data-tab="custom"') > page.index('data-tab="engagement"')
