"""Fixtures of inventory backfill tests: one report per module on the loopback S3 server, an app with workers."""

from __future__ import annotations

import time
import uuid

import boto3
import pytest

from olap.core.migrations import Migrator
from olap.plugins.backfill_inventory.models import InventoryRun

from .reports import put_objects, write_report

OBJECTS = 300


@pytest.fixture(scope="module")
def reports(s3_server):
    """300 objects in a source bucket, listed by a CSV report and a Parquet report in another bucket."""
    client = boto3.client("s3", endpoint_url=s3_server, aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    source, destination = f"source-{uuid.uuid4().hex[:12]}", f"inventory-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=source)
    client.create_bucket(Bucket=destination)
    report = put_objects(client, source, OBJECTS)
    return {
        "report": report,
        "destination": destination,
        "CSV": write_report(client, source, destination, file_format="CSV"),
        "Parquet": write_report(client, source, destination, file_format="Parquet", config="weekly"),
    }


def make_app(olap_env, database_url, workers: int):
    from olap.core.app import create_app
    from olap.core.auth import create_user

    app = create_app({**olap_env, "DATABASE_URL": database_url, "OLAP_WORKER_THREADS": str(workers)}, start_workers=workers > 0)
    instance = app.extensions["olap"]
    instance.db.upgrade()
    Migrator(instance.config.clickhouse_admin).up()
    create_user(instance.db.session, "admin@example.edu", "password1", "admin")
    instance.db.session.commit()
    return app


@pytest.fixture
def inventory_app(olap_env, database_url, s3):
    """The app with two worker threads, migrated stores and an admin; the ClickHouse database is dropped after."""
    app = make_app(olap_env, database_url, workers=2)
    yield app
    instance = app.extensions["olap"]
    instance.jobs.stop_threads()
    instance.clickhouse_admin.command(f"DROP DATABASE IF EXISTS `{instance.config.clickhouse.database}` SYNC")
    instance.close()


@pytest.fixture
def quiet_app(olap_env, database_url, s3):
    """The app without worker threads: the test runs each job itself."""
    app = make_app(olap_env, database_url, workers=0)
    yield app
    instance = app.extensions["olap"]
    instance.clickhouse_admin.command(f"DROP DATABASE IF EXISTS `{instance.config.clickhouse.database}` SYNC")
    instance.close()


def wait_for_run(instance, run_id: int, statuses=("completed", "failed", "cancelled"), timeout: float = 90, finished: bool = True) -> InventoryRun:
    """Poll the run until its status is one of `statuses` (and it has finished, for final statuses)."""
    deadline = time.monotonic() + timeout
    session = instance.db.session
    run = None
    while time.monotonic() < deadline:
        session.expire_all()
        run = session.get(InventoryRun, run_id)
        if run.status in statuses and (not finished or run.finished_at is not None or run.status not in ("completed", "failed", "cancelled")):
            return run
        time.sleep(0.1)
    raise AssertionError(f"inventory run {run_id} still {run.status if run else 'missing'} after {timeout} s")


def stored(instance) -> tuple[int, int]:
    store = instance.clickhouse_admin
    return store.query("SELECT count() FROM raw_events FINAL").scalar(), store.query("SELECT count() FROM raw_events_rejected FINAL").scalar()
