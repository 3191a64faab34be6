"""The app shell: health check, full pages and HTMX fragments, error pages, metadata migrations."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect as sqlalchemy_inspect

from support import sign_in
from olap.core.migrations import Migrator


def test_healthz_reports_both_stores(client, instance):
    Migrator(instance.config.clickhouse_admin).up()

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["metadata_db"] == "ok"
    assert body["checks"]["clickhouse"].startswith("ok (version ")


def test_healthz_fails_when_clickhouse_database_is_missing(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert "run `olap migrate up` first" in response.get_json()["checks"]["clickhouse"]


def test_full_page_has_layout_and_fragment_has_not(client, seeded):
    sign_in(client, "admin@example.edu")

    full = client.get("/").get_data(as_text=True)
    fragment = client.get("/", headers={"HX-Request": "true"}).get_data(as_text=True)
    boosted = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"}).get_data(as_text=True)

    assert full.startswith("<!doctype html>")
    assert "/static/vendor/htmx.min.js" in full
    assert "<h1>Your analytics</h1>" in fragment
    assert "<html" not in fragment
    assert "htmx.min.js" not in fragment
    assert boosted.startswith("<!doctype html>")


def test_unknown_page_renders_error_page(client, seeded):
    sign_in(client, "admin@example.edu")

    page = client.get("/no/such/page")
    fragment = client.get("/no/such/page", headers={"HX-Request": "true"})

    assert page.status_code == 404
    assert "404 Not Found" in page.get_data(as_text=True)
    assert fragment.status_code == 404
    assert fragment.headers["HX-Reswap"] == "innerHTML"
    assert "<html" not in fragment.get_data(as_text=True)


def test_api_errors_answer_json(client):
    response = client.get("/api/none", headers={"Accept": "application/json"})

    assert response.status_code == 404
    assert response.get_json()["error"] == "Not Found"


def test_metadata_schema_upgrades_and_downgrades(instance):
    engine = instance.db.engine
    expected = {"users", "projects", "sections", "memberships", "resources", "audit_events"}

    assert expected <= set(sqlalchemy_inspect(engine).get_table_names())
    current, head = instance.db.revision_status()
    assert current == head

    instance.db.downgrade("base")
    assert not expected & set(sqlalchemy_inspect(engine).get_table_names())
    assert instance.db.revision_status()[0] is None

    instance.db.upgrade()
    assert expected <= set(sqlalchemy_inspect(engine).get_table_names())


def test_unreachable_metadata_database_is_named(olap_env):
    from olap.core.db import Database
    from olap.core.errors import OlapError

    database = Database("postgresql+psycopg://nobody@127.0.0.1:9/none")

    with pytest.raises(OlapError, match="Metadata database postgresql\\+psycopg://nobody@127.0.0.1:9/none is unreachable"):
        database.check_reachable()
