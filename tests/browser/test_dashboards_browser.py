"""Dashboards and the S3 backfill console in Chromium: tabs, filters, charts, empty states, a run."""

from __future__ import annotations

import gzip
import os
import threading
import uuid
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from olap.core.app import create_app
from olap.core.auth import create_user
from olap.core.flags import set_flag
from olap.core.importer import import_file
from olap.core.migrations import Migrator
from olap.core.models import Section
from olap.generator import generate
from olap.ingest import ingest_lines

PASSWORD = "browser-password"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dashboard_server(tmp_path_factory, chdb_path, s3_server) -> Iterator[dict]:
    """A served instance with generated data, worker threads, an instructor, an author and an admin."""
    saved = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")}
    os.environ.update(AWS_ENDPOINT_URL=s3_server, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
    home = tmp_path_factory.mktemp("dashboards-home")
    app = create_app({"OLAP_HOME": str(home), "OLAP_ENV": "test", "SECRET_KEY": "browser", "CLICKHOUSE_URL": f"chdb://{chdb_path}", "CLICKHOUSE_DATABASE": f"dash_{uuid.uuid4().hex[:12]}", "OLAP_WORKER_THREADS": "1"}, start_workers=True)
    instance = app.extensions["olap"]
    Migrator(instance.config.clickhouse_admin).up()
    instance.db.upgrade()

    data = home / "data"
    generate(data, projects=1, sections=2, students=30, events=6000, seed=7)
    session = instance.db.session
    for kind in ("projects", "sections", "resources"):
        import_file(session, kind, data / f"{kind}.json")
    for part in sorted(data.rglob("*.jsonl")):
        ingest_lines(instance.clickhouse_admin, part.read_bytes().splitlines(), part.name)
    sections = session.query(Section).order_by(Section.id).all()
    project_id = sections[0].project_id
    session.add(Section(id=9999, project_id=project_id, title="Empty section", time_zone="UTC"))
    session.flush()
    create_user(session, "teach@example.edu", PASSWORD, "instructor", section_ids=[sections[0].id, 9999])
    create_user(session, "author@example.edu", PASSWORD, "author", project_ids=[project_id])
    create_user(session, "admin@example.edu", PASSWORD, "admin")
    session.commit()
    for flag in ("instructor_dashboard_analytics", "project_dashboard_analytics"):
        set_flag(instance.config.flags_file, instance.registry.flags, flag, True)
    first = sections[0]
    instance.db.remove_session()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_port}", "section": first.id, "term": (first.start_date, first.end_date), "project": project_id, "instance": instance}
    finally:
        server.shutdown()
        thread.join(timeout=10)
        instance.close()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".who")).to_contain_text(email)


def test_instructor_switches_tabs_and_range(page, dashboard_server):
    url, section = dashboard_server["url"], dashboard_server["section"]
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, url, "teach@example.edu")

    page.goto(f"{url}/sections/{section}/analytics")

    expect(page.locator("#summary-cards .card").first).to_be_visible()
    expect(page.locator("#tab-panel .vega-chart svg").first).to_be_visible()
    expect(page.locator("#tab-panel .query-time").first).to_contain_text("ms")
    page.click("#tab-engagement")
    expect(page.locator("#chart-engagement_top_pages")).to_be_visible()
    expect(page.locator("#tab-panel .vega-chart svg").first).to_be_visible()
    expect(page.locator("#tab-engagement")).to_have_attribute("aria-selected", "true")
    rows_before = page.locator("article:has(#chart-engagement_views_heatmap) tbody tr").count()

    start, _end = dashboard_server["term"]
    page.fill("#start", start.isoformat())
    page.fill("#end", start.isoformat())
    page.click("#filters button[type=submit]")
    page.click("#tab-engagement")
    expect(page.locator("#chart-engagement_views_heatmap")).to_be_visible()
    expect(page.locator("#start")).to_have_value(start.isoformat())
    rows_after = page.locator("article:has(#chart-engagement_views_heatmap) tbody tr").count()

    assert 0 < rows_after < rows_before
    assert errors == []


def test_author_opens_project_dashboard(page, dashboard_server):
    url, project = dashboard_server["url"], dashboard_server["project"]
    sign_in(page, url, "author@example.edu")

    page.goto(f"{url}/projects/{project}/analytics")

    expect(page.locator("#tab-panel .vega-chart svg").first).to_be_visible()
    expect(page.locator("[role=tab]")).to_have_count(len(dashboard_server["instance"].registry.categories))


def test_empty_section_shows_empty_state(page, dashboard_server):
    url = dashboard_server["url"]
    sign_in(page, url, "teach@example.edu")

    page.goto(f"{url}/sections/9999/analytics")

    expect(page.locator("#tab-panel .empty").first).to_have_text("No data ingested for this section yet.")
    expect(page.locator("#tab-panel .vega-chart")).to_have_count(0)


def test_admin_schedules_backfill_and_watches_it_complete(page, dashboard_server):
    from olap.core.s3 import s3_client

    url = dashboard_server["url"]
    bucket = f"browser-{uuid.uuid4().hex[:12]}"
    client = s3_client()
    client.create_bucket(Bucket=bucket)
    statement = '{"actor":{"account":{"name":%d}},"context":{"extensions":{"http://oli.cmu.edu/extensions/section_id":1,"http://oli.cmu.edu/extensions/project_id":1}},"object":{"id":"x"},"timestamp":"2026-02-10T10:00:00Z","verb":{"id":"http://id.tincanapi.com/verb/viewed"}}'
    body = "\n".join(statement % number for number in range(50)) + "\nnot json\n"
    client.put_object(Bucket=bucket, Key="history/date=2026-02-10/a.jsonl.gz", Body=gzip.compress(body.encode()))
    sign_in(page, url, "admin@example.edu")

    page.goto(f"{url}/admin/backfills/s3/")
    page.fill("#pattern", f"s3://{bucket}/history/**/*.jsonl.gz")
    page.click("text=Dry run: show the plan")
    expect(page.locator("#plan")).to_contain_text("1 files")
    page.click("text=Start the backfill")

    expect(page.locator("[data-status]")).to_have_text("completed", timeout=60_000)
    expect(page.locator("[data-metric=lines]")).to_have_text("51")
    expect(page.locator("[data-metric=rows]")).to_have_text("50")
    expect(page.locator("[data-metric=rejects]")).to_have_text("1")
