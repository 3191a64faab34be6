"""/admin/clickhouse: each check as a partial, failures shown in place, migrations behind a POST."""

from __future__ import annotations

import re

import pytest

from olap.core.migrations import Migrator
from olap.core.models import AuditEvent
from olap.ingest import ingest_lines
from support import sign_in

VIEW = (
    '{"actor":{"account":{"name":%d}},"context":{"extensions":{"http://oli.cmu.edu/extensions/page_id":5,'
    '"http://oli.cmu.edu/extensions/project_id":318,"http://oli.cmu.edu/extensions/section_id":2051}},'
    '"object":{"id":"x/page/5","definition":{"type":"http://oli.cmu.edu/extensions/types/page"}},"timestamp":"2026-02-10T10:00:00Z",'
    '"verb":{"id":"http://id.tincanapi.com/verb/viewed"}}'
)


@pytest.fixture
def admin(client, seeded):
    sign_in(client, "admin@example.edu")
    return client


def test_console_lists_every_check(admin):
    page = admin.get("/admin/clickhouse/").get_data(as_text=True)

    for name in ("connection", "raw_events", "ingest_lag", "query_latency"):
        assert f'hx-get="/admin/clickhouse/check/{name}"' in page
    assert 'hx-get="/admin/clickhouse/migrations"' in page


def test_checks_show_figures(admin, instance):
    Migrator(instance.config.clickhouse_admin).up()
    ingest_lines(instance.clickhouse_admin, [(VIEW % n).encode() for n in range(7)] + [b"{bad"], "console.jsonl")

    connection = admin.get("/admin/clickhouse/check/connection", headers={"HX-Request": "true"}).get_data(as_text=True)
    events = admin.get("/admin/clickhouse/check/raw_events", headers={"HX-Request": "true"}).get_data(as_text=True)
    lag = admin.get("/admin/clickhouse/check/ingest_lag", headers={"HX-Request": "true"}).get_data(as_text=True)
    latency = admin.get("/admin/clickhouse/check/query_latency", headers={"HX-Request": "true"}).get_data(as_text=True)

    assert "26." in connection
    assert instance.config.clickhouse.database in connection
    assert "ReplacingMergeTree" in events
    assert re.search(r"Rows \(before merges collapse copies\)</th><td>7<", events)
    assert re.search(r"Rejected lines</th><td>1<", events)
    assert "2026-02-10 10:00:00" in lag
    assert "Warning: The newest event is" in lag
    assert "system.query_log is not available" in latency


def test_failed_check_shows_reason_and_others_answer(admin, instance):
    # The database exists but holds no table yet, so raw_events is missing while the
    # connection works.
    migrator = Migrator(instance.config.clickhouse_admin)
    migrator.ensure_bookkeeping()
    migrator.close()

    events = admin.get("/admin/clickhouse/check/raw_events", headers={"HX-Request": "true"})
    connection = admin.get("/admin/clickhouse/check/connection", headers={"HX-Request": "true"})

    assert events.status_code == 200
    assert "The table raw_events does not exist" in events.get_data(as_text=True)
    assert connection.status_code == 200
    assert "Version" in connection.get_data(as_text=True)


def test_migrate_up_needs_post_and_is_audited(admin, instance):
    pending = admin.get("/admin/clickhouse/migrations").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', pending).group(1)

    refused = admin.post("/admin/clickhouse/migrations/up")
    applied = admin.post("/admin/clickhouse/migrations/up", data={"csrf_token": token}).get_data(as_text=True)

    assert "pending" in pending
    assert 'hx-confirm="Apply every pending ClickHouse migration now?"' in pending
    assert refused.status_code == 400
    assert "pending" not in applied
    assert "Every migration is applied." in applied
    outcomes = [event.outcome for event in instance.db.session.query(AuditEvent).filter_by(action="clickhouse.migrate_up")]
    assert outcomes == ["succeeded"]


@pytest.mark.parametrize(("email", "status"), [(None, 302), ("teach@example.edu", 403), ("author@example.edu", 403), ("admin@example.edu", 200)], ids=["anonymous", "instructor", "author", "admin"])
def test_console_role_matrix(client, seeded, email, status):
    if email:
        sign_in(client, email)

    for path in ("/admin/clickhouse/", "/admin/clickhouse/check/connection", "/admin/clickhouse/migrations"):
        assert client.get(path).status_code == status


def test_console_needs_global_flag(admin, instance):
    from olap.core.flags import set_flag

    set_flag(instance.config.flags_file, instance.registry.flags, "clickhouse-olap", False)

    assert admin.get("/admin/clickhouse/").status_code == 403


def test_missing_database_is_explained(admin):
    response = admin.get("/admin/clickhouse/check/connection", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "This check failed" in response.get_data(as_text=True)
    assert "run `olap migrate up` first" in response.get_data(as_text=True)
