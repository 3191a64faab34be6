"""The inventory console over HTTP: every route for every role, CSRF, the dry-run form, chunk log paging."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from olap.core.models import AuditEvent
from olap.plugins.backfill_inventory.models import ChunkLog, InventoryBatch, InventoryRun
from support import sign_in

from .conftest import OBJECTS, wait_for_run

# Each route with the status an admin gets on a completed run with a completed batch and no
# form fields. Delete comes last because it removes the run.
ROUTES = [
    ("GET", "/admin/backfills/inventory/", 200),
    ("POST", "/admin/backfills/inventory/plan", 200),
    ("POST", "/admin/backfills/inventory/", 400),
    ("POST", "/admin/backfills/inventory/recover", 302),
    ("GET", "/admin/backfills/inventory/{run}", 200),
    ("GET", "/admin/backfills/inventory/{run}/status", 286),
    ("POST", "/admin/backfills/inventory/{run}/pause", 409),
    ("POST", "/admin/backfills/inventory/{run}/resume", 409),
    ("POST", "/admin/backfills/inventory/{run}/cancel", 409),
    ("POST", "/admin/backfills/inventory/{run}/settings", 409),
    ("GET", "/admin/backfills/inventory/{run}/batches/{batch}", 200),
    ("GET", "/admin/backfills/inventory/{run}/batches/{batch}/status", 286),
    ("GET", "/admin/backfills/inventory/{run}/batches/{batch}/chunks?after=0", 200),
    ("GET", "/admin/backfills/inventory/{run}/batches/{batch}/chunks?before=999999", 200),
    ("POST", "/admin/backfills/inventory/{run}/batches/{batch}/retry", 409),
    ("POST", "/admin/backfills/inventory/{run}/delete", 302),
]


def csrf_token(client) -> str:
    page = client.get("/admin/backfills/inventory/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def finished_run(instance, seeded):
    """A completed run with one completed batch and three chunk logs, stored without running anything."""
    session = instance.db.session
    run = InventoryRun(manifest_url="s3://inv/a/2026-02-15T01-00Z/manifest.json", status="completed", created_by="test", batches_total=1, batches_by_status={"completed": 1})
    batch = InventoryBatch(number=0, inventory_key="a/data/0.csv.gz", status="completed", keys_total=3, keys_done=3, chunks_done=3)
    run.batches.append(batch)
    session.add(run)
    session.flush()
    from datetime import datetime, timezone

    run.finished_at = datetime.now(timezone.utc)
    for index in range(3):
        session.add(ChunkLog(run_id=run.id, batch_id=batch.id, chunk_index=index, key_offset=index, query_id=f"inventory-{run.id}-{batch.id}-{index}-0", keys=[f"x/{index} é.jsonl"], status="finished", objects=1, rows_read=4))
    session.commit()
    return run.id, batch.id


@pytest.mark.parametrize(("email", "expected"), [(None, "login"), ("teach@example.edu", 403), ("author@example.edu", 403), ("admin@example.edu", "admin")], ids=["anonymous", "instructor", "author", "admin"])
def test_route_role_matrix(client, finished_run, s3, email, expected):
    run_id, batch_id = finished_run
    if email:
        sign_in(client, email)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login" if email is None else "/").get_data(as_text=True)).group(1)

    for method, route, admin_status in ROUTES:
        url = route.format(run=run_id, batch=batch_id)
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})

        if expected == "login":
            assert response.status_code == 302, f"{method} {route}"
            assert "/login" in response.headers["Location"], f"{method} {route}"
        elif expected == "admin":
            assert response.status_code == admin_status, f"{method} {route}"
        else:
            assert response.status_code == expected, f"{method} {route}"


def test_posts_without_csrf_token_are_rejected(client, finished_run):
    run_id, _batch_id = finished_run
    sign_in(client, "admin@example.edu")

    response = client.post(f"/admin/backfills/inventory/{run_id}/delete")

    assert response.status_code == 400
    assert client.get(f"/admin/backfills/inventory/{run_id}").status_code == 200


def test_console_needs_bulk_ingest_flag(client, instance, seeded):
    from olap.core.flags import set_flag

    set_flag(instance.config.flags_file, instance.registry.flags, "clickhouse-olap-bulk-ingest", False)
    sign_in(client, "admin@example.edu")

    response = client.get("/admin/backfills/inventory/")

    assert response.status_code == 403
    assert "clickhouse-olap-bulk-ingest" in response.get_data(as_text=True)


def test_chunk_logs_stream_and_page(client, instance, finished_run):
    run_id, batch_id = finished_run
    sign_in(client, "admin@example.edu")
    base = f"/admin/backfills/inventory/{run_id}/batches/{batch_id}/chunks"
    ids = [log_id for (log_id,) in instance.db.session.execute(select(ChunkLog.id).where(ChunkLog.batch_id == batch_id).order_by(ChunkLog.id)).all()]

    newer = client.get(f"{base}?after={ids[0]}", headers={"HX-Request": "true"}).get_data(as_text=True)
    nothing_new = client.get(f"{base}?after={ids[-1]}", headers={"HX-Request": "true"}).get_data(as_text=True)
    older = client.get(f"{base}?before={ids[-1]}", headers={"HX-Request": "true"}).get_data(as_text=True)
    page = client.get(f"/admin/backfills/inventory/{run_id}/batches/{batch_id}").get_data(as_text=True)

    assert re.findall(r'data-chunk-log="(\d+)"', newer) == [str(ids[2]), str(ids[1])]
    assert 'hx-get="' in newer  # the batch's last logs are new, so the stream polls once more
    assert "data-chunk-log" not in nothing_new
    assert "hx-trigger" not in nothing_new  # a finished batch with nothing new stops polling
    assert re.findall(r'data-chunk-log="(\d+)"', older) == [str(ids[1]), str(ids[0])]
    assert "Load older" not in older
    assert "x/2 é.jsonl" in page


def test_console_dry_run_schedule_and_audit(inventory_app, reports):
    instance = inventory_app.extensions["olap"]
    client = inventory_app.test_client()
    sign_in(client, "admin@example.edu")
    token = csrf_token(client)
    manifest_url = reports["CSV"]
    bucket, prefix = reports["destination"], f"inventory/{reports['report'].source_bucket}/daily"
    fields = {"csrf_token": token, "chunk_size": "100", "concurrency": "2", "retries": "1"}

    plan = client.post("/admin/backfills/inventory/plan", data={**fields, "bucket": bucket, "prefix": prefix, "when": "2026-02-15"}, headers={"HX-Request": "true"}).get_data(as_text=True)
    orc_like = client.post("/admin/backfills/inventory/plan", data={**fields, "manifest_url": manifest_url, "chunk_size": "0"}, headers={"HX-Request": "true"}).get_data(as_text=True)
    scheduled = client.post("/admin/backfills/inventory/", data={**fields, "manifest_url": manifest_url}, headers={"HX-Request": "true"})

    assert f'data-plan="objects">{OBJECTS}<' in plan
    assert 'data-plan="skipped">3<' in plan
    assert manifest_url in plan
    assert "chunk size must be from 1 to 10000" in orc_like
    run_url = scheduled.headers["HX-Redirect"]
    run_id = int(run_url.rstrip("/").rsplit("/", 1)[1])
    done = wait_for_run(instance, run_id)
    assert done.status == "completed"
    assert client.get(f"{run_url}/status").status_code == 286
    listing = client.get("/admin/backfills/inventory/?status=completed&list=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"#{run_id}" in listing
    assert client.post(f"{run_url}/delete", data={"csrf_token": token}).status_code == 302
    actions = [action for (action,) in instance.db.session.execute(select(AuditEvent.action).where(AuditEvent.action.like("inventory.%")).order_by(AuditEvent.id)).all()]
    assert actions == ["inventory.schedule", "inventory.delete"]
