"""Inventory runs against the loopback S3 server and chDB: exact counts, rerun, pause, cancel, retry, recovery."""

from __future__ import annotations

import gzip
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from olap.core.models import AuditEvent
from olap.plugins.backfill_inventory import running, service
from olap.plugins.backfill_inventory.models import ChunkLog, InventoryBatch, InventoryRun

from .conftest import OBJECTS, stored, wait_for_run
from .reports import jsonl, put_objects, write_report


def finished_logs(instance, run_id: int) -> list[ChunkLog]:
    return instance.db.session.scalars(select(ChunkLog).where(ChunkLog.run_id == run_id, ChunkLog.status == "finished")).all()


@pytest.mark.parametrize("file_format", ["CSV", "Parquet"])
def test_run_and_rerun_counts_exact(inventory_app, reports, file_format):
    instance = inventory_app.extensions["olap"]
    report = reports["report"]

    with inventory_app.app_context():
        run = service.schedule(instance, reports[file_format], service.make_options(chunk_size=25, concurrency=2), "test")
        done = wait_for_run(instance, run.id)

        assert (done.status, done.error) == ("completed", "")
        assert done.batches_by_status["completed"] == 3
        assert (done.objects_total, done.objects_done, done.objects_missing, done.skipped) == (OBJECTS, OBJECTS, 0, 3)
        assert (done.lines, done.rows_written, done.rejects) == (report.lines, report.lines - report.rejects, report.rejects)
        assert stored(instance) == (report.lines - report.rejects, report.rejects)
        logs = finished_logs(instance, run.id)
        assert sum(log.rows_read for log in logs) == report.lines
        assert sum(len(log.keys) for log in logs) == OBJECTS
        assert max(len(log.keys) for log in logs) == 25
        paths = {path for (path,) in instance.clickhouse_admin.query("SELECT DISTINCT source_file FROM raw_events").rows}
        assert f"s3://{report.source_bucket}/xapi/date=2026-02-12/k=v 2.jsonl" in paths
        assert f"s3://{report.source_bucket}/xapi/date=2026-02-14/日本 4.jsonl.gz" in paths

        again = wait_for_run(instance, service.schedule(instance, reports[file_format], service.make_options(chunk_size=100), "test").id)

        assert again.status == "completed"
        assert (again.objects_done, again.lines, again.rows_written, again.rejects, again.skipped) == (done.objects_done, done.lines, done.rows_written, done.rejects, done.skipped)
        assert stored(instance) == (report.lines - report.rejects, report.rejects)


def test_date_range_run_loads_only_its_days(inventory_app, reports):
    instance = inventory_app.extensions["olap"]
    in_range = [stored_object for stored_object in reports["report"].objects if stored_object.day == 12]

    with inventory_app.app_context():
        run = service.schedule(instance, reports["CSV"], service.make_options(date_from="2026-02-12", date_to="2026-02-12", chunk_size=50), "test")
        done = wait_for_run(instance, run.id)

    assert done.status == "completed"
    assert (done.objects_done, done.skipped) == (len(in_range), OBJECTS - len(in_range) + 3)
    assert done.lines == sum(stored_object.lines for stored_object in in_range)


def test_pause_then_resume_completes_exactly(inventory_app, reports):
    instance = inventory_app.extensions["olap"]
    report = reports["report"]

    with inventory_app.app_context():
        run = service.schedule(instance, reports["CSV"], service.make_options(chunk_size=5), "test")
        deadline = time.monotonic() + 60
        while not finished_logs(instance, run.id) and time.monotonic() < deadline:
            time.sleep(0.05)
        service.pause(instance, run.id, "test")
        paused = wait_for_run(instance, run.id, statuses=("paused",))
        deadline = time.monotonic() + 30
        settled = service.get_run(instance.db.session, run.id)
        while settled.batches_by_status.get("running") and time.monotonic() < deadline:
            time.sleep(0.05)
            settled = service.get_run(instance.db.session, run.id)

        assert paused.status == "paused"
        assert settled.batches_by_status["running"] == 0
        assert settled.objects_done < OBJECTS
        service.update_settings(instance, run.id, 50, 2, 1, "test")
        with pytest.raises(service.Conflict):
            service.pause(instance, run.id, "test")

        service.resume(instance, run.id, "test")
        done = wait_for_run(instance, run.id)

    assert (done.status, done.chunk_size, done.concurrency) == ("completed", 50, 2)
    assert (done.objects_done, done.lines, done.rejects) == (OBJECTS, report.lines, report.rejects)
    assert stored(instance) == (report.lines - report.rejects, report.rejects)
    actions = [action for (action,) in instance.db.session.execute(select(AuditEvent.action).where(AuditEvent.action.like("inventory.%")).order_by(AuditEvent.id)).all()]
    assert actions == ["inventory.schedule", "inventory.pause", "inventory.settings", "inventory.resume"]


def test_cancel_keeps_consistent_counts(inventory_app, reports):
    instance = inventory_app.extensions["olap"]

    with inventory_app.app_context():
        run = service.schedule(instance, reports["CSV"], service.make_options(chunk_size=5, concurrency=2), "test")
        deadline = time.monotonic() + 60
        while not finished_logs(instance, run.id) and time.monotonic() < deadline:
            time.sleep(0.05)
        service.cancel(instance, run.id, "test")
        cancelled = wait_for_run(instance, run.id)

        assert cancelled.status == "cancelled"
        assert set(status for status, count in cancelled.batches_by_status.items() if count) <= {"cancelled", "completed"}
        assert instance.clickhouse_admin.running(f"inventory-{run.id}-") is None
        logs = finished_logs(instance, run.id)
        assert cancelled.lines == sum(log.rows_read for log in logs)
        assert cancelled.objects_done < OBJECTS
        with pytest.raises(service.Conflict):
            service.cancel(instance, run.id, "test")
        service.delete(instance, run.id, "test")

        assert instance.db.session.get(InventoryRun, run.id) is None
        assert instance.db.session.scalar(select(func.count()).select_from(ChunkLog).where(ChunkLog.run_id == run.id)) == 0


def test_failed_batch_retry_completes(inventory_app, s3, bucket):
    instance = inventory_app.extensions["olap"]
    report = put_objects(s3, bucket, 30, empty=0)
    s3.put_object(Bucket=bucket, Key="xapi/date=2026-02-10/broken.jsonl.gz", Body=b"this is not gzip\n")
    manifest_url = write_report(s3, bucket, bucket, files=3)

    with inventory_app.app_context():
        run = service.schedule(instance, manifest_url, service.make_options(chunk_size=4, retries=1), "test")
        failed = wait_for_run(instance, run.id)

        assert failed.status == "failed"
        assert (failed.batches_by_status["failed"], failed.batches_by_status["completed"]) == (1, 2)
        batch = instance.db.session.scalars(select(InventoryBatch).where(InventoryBatch.run_id == run.id, InventoryBatch.status == "failed")).one()
        assert batch.attempts == 2
        assert "broken.jsonl.gz" in batch.error or "gzip" in batch.error.lower() or "Code:" in batch.error
        assert "testing" not in batch.error
        failed_logs = instance.db.session.scalars(select(ChunkLog).where(ChunkLog.batch_id == batch.id, ChunkLog.status == "failed")).all()
        assert len(failed_logs) == 2

        s3.put_object(Bucket=bucket, Key="xapi/date=2026-02-10/broken.jsonl.gz", Body=gzip.compress(jsonl(99_000, 2)))
        service.retry_batch(instance, run.id, batch.id, "test")
        done = wait_for_run(instance, run.id)

    assert done.status == "completed"
    assert (done.objects_done, done.lines, done.rejects) == (31, report.lines + 2, report.rejects)
    assert stored(instance) == (report.lines - report.rejects + 2, report.rejects)


class WorkerKilled(BaseException):
    """Stands for the end of a worker process: nothing after it runs, not even except blocks for Exception."""


def test_killed_worker_resumes_exactly(quiet_app, reports, monkeypatch):
    instance = quiet_app.extensions["olap"]
    report = reports["report"]

    with quiet_app.app_context():
        run = service.schedule(instance, reports["Parquet"], service.make_options(chunk_size=10), "test")
        instance.jobs.connection.flushdb()
        running.prepare_run(run.id)
        batch = instance.db.session.scalars(select(InventoryBatch).where(InventoryBatch.run_id == run.id, InventoryBatch.status == "queued")).one()
        counted = []
        original = running.count_chunk

        def count_then_die(*arguments):
            # The third chunk's rows reach ClickHouse, then the worker dies before its log is written.
            if len(counted) == 2:
                raise WorkerKilled()
            counted.append(1)
            return original(*arguments)

        monkeypatch.setattr(running, "count_chunk", count_then_die)
        with pytest.raises(WorkerKilled):
            running.run_batch(batch.id, batch.dispatch)
        monkeypatch.setattr(running, "count_chunk", original)
        instance.db.session.rollback()
        # A restarted embedded process has a new in-process queue: the batch's job is gone.
        instance.jobs.connection.flushdb()

        killed = instance.db.session.get(InventoryBatch, batch.id, populate_existing=True)
        assert (killed.status, killed.chunks_done, killed.keys_done) == ("running", 2, 20)
        assert stored(instance)[0] > 0

        assert running.recover_runs() == {"batches": 1, "runs": 0}
        instance.jobs.run_burst()
        done = wait_for_run(instance, run.id, timeout=5)

        assert done.status == "completed"
        assert (done.objects_done, done.lines, done.rows_written, done.rejects) == (OBJECTS, report.lines, report.lines - report.rejects, report.rejects)
        assert stored(instance) == (report.lines - report.rejects, report.rejects)
        resumed = instance.db.session.scalars(select(ChunkLog).where(ChunkLog.batch_id == batch.id).order_by(ChunkLog.id)).all()
        assert [log.key_offset for log in resumed[:3]] == [0, 10, 20]
        assert len({log.key_offset for log in resumed}) == len(resumed)


def test_live_job_is_not_recovered(quiet_app, reports):
    instance = quiet_app.extensions["olap"]

    with quiet_app.app_context():
        run = service.schedule(instance, reports["CSV"], service.make_options(), "test")
        instance.jobs.connection.flushdb()
        running.prepare_run(run.id)

        assert running.recover_runs() == {"batches": 0, "runs": 0}
        queued = instance.db.session.scalars(select(InventoryBatch).where(InventoryBatch.run_id == run.id, InventoryBatch.status == "queued")).all()
        assert len(queued) == 1


def test_cli_dry_run_and_wait(olap_env, database_url, s3, bucket, monkeypatch):
    from olap.core.cli import OlapGroup, main
    from olap.plugins.backfill_inventory.cli import inventory_command

    for name, value in {**olap_env, "DATABASE_URL": database_url}.items():
        monkeypatch.setenv(name, value)
    report = put_objects(s3, bucket, 8, empty=1)
    manifest_url = write_report(s3, bucket, bucket, files=2)
    # The core CLI attaches inventory_command under `olap backfill`; this group takes its place here.
    cli = OlapGroup("olap-test", commands={"migrate": main.commands["migrate"], "inventory": inventory_command})
    runner = CliRunner()
    runner.invoke(cli, ["migrate", "up"], catch_exceptions=False)

    plan = runner.invoke(cli, ["inventory", manifest_url, "--dry-run"], catch_exceptions=False)
    waited = runner.invoke(cli, ["inventory", manifest_url, "--wait", "--chunk-size", "3"], catch_exceptions=False)
    missing = runner.invoke(cli, ["inventory", f"s3://{bucket}/none/manifest.json", "--dry-run"], catch_exceptions=False)

    assert plan.exit_code == 0, plan.output
    assert '"objects": 8' in plan.output
    outcome = waited.stdout.strip().splitlines()[-1]
    assert f'"lines": {report.lines}' in outcome
    assert '"status": "completed"' in outcome
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
