"""The Custom tab in Chromium: write a query, run it, see the chart, save it, reload and run the saved one."""

from __future__ import annotations

import threading
import uuid
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from olap.core.app import create_app
from olap.core.auth import create_user
from olap.core.flags import set_flag
from olap.core.migrations import Migrator
from olap.core.models import Project, Section

from custom.conftest import ingest_sample

pytestmark = pytest.mark.browser

EMAIL = "teach@example.edu"
PASSWORD = "browser-test-password"
QUERY = "SELECT event_type, count() AS events\nFROM events\nGROUP BY event_type\nORDER BY event_type"
SPEC = '{"mark": "bar", "encoding": {"x": {"field": "event_type", "type": "nominal"}, "y": {"field": "events", "type": "quantitative"}}}'


@pytest.fixture(scope="module")
def custom_server(tmp_path_factory, chdb_path) -> Iterator[str]:
    """Serve an instance with sections 2051 and 2077, the sample events and an instructor of 2051."""
    app = create_app(
        {
            "OLAP_HOME": str(tmp_path_factory.mktemp("custom-browser-home")),
            "OLAP_ENV": "test",
            "SECRET_KEY": "browser-test-secret",
            "CLICKHOUSE_URL": f"chdb://{chdb_path}",
            "CLICKHOUSE_DATABASE": f"browser_{uuid.uuid4().hex[:12]}",
        },
        start_workers=False,
    )
    instance = app.extensions["olap"]
    migrator = Migrator(instance.config.clickhouse_admin)
    migrator.up()
    migrator.close()
    ingest_sample(instance.clickhouse_admin)
    instance.db.upgrade()
    session = instance.db.session
    session.add_all([Project(id=318, title="Chemistry"), Section(id=2051, project_id=318, title="Chem A"), Section(id=2077, project_id=318, title="Chem B")])
    session.flush()
    create_user(session, EMAIL, PASSWORD, "instructor", section_ids=[2051])
    session.commit()
    instance.db.remove_session()
    set_flag(instance.config.flags_file, instance.registry.flags, "instructor_dashboard_analytics", True)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="custom-browser-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        instance.clickhouse_admin.command(f"DROP DATABASE IF EXISTS `{instance.config.clickhouse.database}` SYNC")
        instance.close()


def replace_editor_text(page: Page, label: str, text: str) -> None:
    """Replace the text of the CodeMirror editor labelled `label`, once both editors are attached."""
    expect(page.locator(".cm-editor")).to_have_count(2)
    editor = page.get_by_role("textbox", name=label)
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    editor.fill(text)


def test_write_run_save_reload_and_run_saved(page: Page, custom_server: str):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(custom_server + "/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(custom_server + "/")

    page.goto(custom_server + "/sections/2051/analytics?tab=custom")
    expect(page.locator(".cm-editor")).to_have_count(2)
    replace_editor_text(page, "SQL", QUERY)
    replace_editor_text(page, "Vega-Lite chart", SPEC)
    page.get_by_role("button", name="Run", exact=True).click()

    result = page.locator("#custom-result")
    expect(result.locator("svg.marks").first).to_be_visible()
    expect(result.get_by_role("cell", name="activity_attempt")).to_be_visible()
    expect(result.locator(".custom-sql-ran")).to_contain_text("scope_section_id")
    expect(result).to_contain_text("3 rows in")

    page.get_by_label("Name").fill("Events by type")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#custom-saved")).to_contain_text("Saved 'Events by type'")

    page.reload()
    expect(page.get_by_role("button", name="Run Events by type")).to_be_visible()
    page.get_by_role("button", name="Run Events by type").click()
    expect(page.locator("#custom-result svg.marks").first).to_be_visible()
    expect(page.locator("#custom-result").get_by_role("cell", name="52").first).to_be_visible()

    page.get_by_role("button", name="Open Events by type").click()
    expect(page.locator(".cm-content").first).to_contain_text("GROUP BY event_type")
    assert not [error for error in errors if "Content Security Policy" in error or "eval" in error], errors


def test_rejection_shows_inline(page: Page, custom_server: str):
    page.goto(custom_server + "/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(custom_server + "/")

    page.goto(custom_server + "/sections/2051/analytics?tab=custom")
    replace_editor_text(page, "SQL", "SELECT * FROM system.tables")
    page.get_by_role("button", name="Run", exact=True).click()

    expect(page.locator("#custom-result [role=alert]")).to_contain_text("names a database")
    expect(page.locator("#custom-result [role=alert]")).to_contain_text("line 1, column 15")
