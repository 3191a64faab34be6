"""Browser test fixtures: the real app served on loopback and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from olap.core.app import create_app
from olap.core.auth import create_user
from olap.core.migrations import Migrator

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VENDORED_HTMX = Path(__file__).resolve().parents[2] / "olap" / "static" / "vendor" / "htmx.min.js"
ADMIN_EMAIL = "admin@example.edu"
ADMIN_PASSWORD = "browser-test-password"
# Playwright's timeout for each action and navigation, in milliseconds.
ACTION_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class LiveServer:
    """An olap app served over HTTP on loopback, with the admin account it was seeded with."""

    url: str
    admin_email: str
    admin_password: str


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, chdb_path) -> Iterator[LiveServer]:
    """Serve a migrated olap instance with one admin on 127.0.0.1 and a free port."""
    if not VENDORED_HTMX.is_file():
        pytest.fail(f"{VENDORED_HTMX} is missing; run scripts/setup to install and copy the front-end files.")
    home = tmp_path_factory.mktemp("browser-home")
    app = create_app(
        {
            "OLAP_HOME": str(home),
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
    instance.db.upgrade()
    session = instance.db.session
    create_user(session, ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    session.commit()
    instance.db.remove_session()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", ADMIN_EMAIL, ADMIN_PASSWORD)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        instance.clickhouse_admin.command(f"DROP DATABASE IF EXISTS `{instance.config.clickhouse.database}` SYNC")
        instance.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, because `playwright install` and its browser downloads are not used."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; install Debian's Chromium with: sudo apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context, so each test starts signed out."""
    context = browser.new_context()
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()
