"""An admin starts an inventory backfill in Chromium and watches a batch's chunk logs arrive live."""

from __future__ import annotations

import re
import threading
import time
import uuid

import boto3
import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from inventory.reports import put_objects, write_report
from olap.core.app import create_app
from olap.core.auth import create_user
from olap.core.migrations import Migrator

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "inventory-admin@example.edu"
ADMIN_PASSWORD = "browser-test-password"


@pytest.fixture(scope="module")
def inventory_server(tmp_path_factory, chdb_path, s3_server):
    """The app with two worker threads on loopback, and a 40-object inventory report on the S3 server."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"AWS_ENDPOINT_URL": s3_server, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
        bucket = f"browser-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket)
        put_objects(client, bucket, 40, empty=0)
        manifest_url = write_report(client, bucket, bucket, files=2)

        app = create_app(
            {
                "OLAP_HOME": str(tmp_path_factory.mktemp("inventory-browser-home")),
                "OLAP_ENV": "test",
                "SECRET_KEY": "browser-test-secret",
                "CLICKHOUSE_URL": f"chdb://{chdb_path}",
                "CLICKHOUSE_DATABASE": f"browser_{uuid.uuid4().hex[:12]}",
                "OLAP_WORKER_THREADS": "2",
            },
            start_workers=True,
        )
        instance = app.extensions["olap"]
        Migrator(instance.config.clickhouse_admin).up()
        instance.db.upgrade()
        create_user(instance.db.session, ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
        instance.db.session.commit()
        instance.db.remove_session()

        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="inventory-browser-server", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", manifest_url
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            instance.jobs.stop_threads()
            instance.clickhouse_admin.command(f"DROP DATABASE IF EXISTS `{instance.config.clickhouse.database}` SYNC")
            instance.close()


def sign_in(page: Page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url + "/")


def test_batch_page_streams_chunk_logs(page, inventory_server):
    url, manifest_url = inventory_server
    sign_in(page, url)
    page.goto(url + "/admin/backfills/inventory/")

    page.get_by_label("Manifest URL").fill(manifest_url)
    page.get_by_label("Keys per insert (chunk size)").fill("1")
    page.get_by_role("button", name="Dry run: show the plan").click()
    expect(page.locator("[data-plan=objects]")).to_have_text("40")
    page.get_by_role("button", name="Start the backfill").click()
    page.wait_for_url(re.compile(r"/admin/backfills/inventory/\d+$"))

    # The second batch starts after the first, so its page is open before its first chunk ends.
    batch_link = page.get_by_role("link", name="#2")
    # Preparing reads the manifest and its reports first, which takes seconds on a busy machine.
    expect(batch_link).to_be_visible(timeout=60_000)
    batch_link.click()
    page.wait_for_url(re.compile(r"/batches/\d+$"))
    rows = page.locator("#chunk-logs tr[data-chunk-log]")
    shown_at_load = rows.count()

    expect(page.locator("#batch-status [data-status]")).to_have_text("completed", timeout=180_000)
    deadline = time.monotonic() + 10
    while rows.count() < 20 and time.monotonic() < deadline:
        page.wait_for_timeout(200)

    assert shown_at_load < 20
    assert rows.count() == 20
    newest_first = [int(value) for value in rows.evaluate_all("rows => rows.map(row => row.dataset.chunkLog)")]
    assert newest_first == sorted(newest_first, reverse=True)
    expect(page.locator("#chunk-logs tbody").nth(1)).to_contain_text("inventory-")
