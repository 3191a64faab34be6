"""S3 backfills against the loopback S3 server and chDB: plan, run, rerun, cancel, retry, console."""

from __future__ import annotations

import gzip
import json
import time

import pytest
from click.testing import CliRunner

from olap.core.errors import UserInputError
from olap.core.migrations import Migrator
from olap.core.models import AuditEvent, BackfillRun
from olap.plugins.backfill_s3 import service
from olap.plugins.backfill_s3.planning import glob_regex, normalise_url
from olap.plugins.backfill_s3.running import check_settings
from support import sign_in

VIEW = (
    '{"actor":{"account":{"homePage":"lms.example.edu","name":%(user)d}},'
    '"context":{"extensions":{"http://oli.cmu.edu/extensions/page_id":%(page)d,"http://oli.cmu.edu/extensions/project_id":318,'
    '"http://oli.cmu.edu/extensions/section_id":2051}},"object":{"definition":{"type":"http://oli.cmu.edu/extensions/types/page"},'
    '"id":"lms.example.edu/page/%(page)d}","objectType":"Page"},"timestamp":"2026-02-%(day)02dT10:00:%(second)02dZ",'
    '"verb":{"id":"http://id.tincanapi.com/verb/viewed"}}'
)


def jsonl(first_user: int, count: int, bad: int = 0, day: int = 10) -> bytes:
    lines = [VIEW % {"user": first_user + n, "page": n % 7, "day": day, "second": n % 60} for n in range(count)]
    lines += ["{not json"] * bad
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def backfill_app(olap_env, database_url, s3):
    """The app with worker threads, migrated stores, an admin and the backfill flag on."""
    from olap.core.app import create_app
    from olap.core.auth import create_user

    app = create_app({**olap_env, "DATABASE_URL": database_url, "OLAP_WORKER_THREADS": "2"}, start_workers=True)
    instance = app.extensions["olap"]
    instance.db.upgrade()
    Migrator(instance.config.clickhouse_admin).up()
    create_user(instance.db.session, "admin@example.edu", "password1", "admin")
    create_user(instance.db.session, "nobody@example.edu", "password1", "author", project_ids=[]) if False else None
    instance.db.session.commit()
    yield app
    instance.close()


def wait_for(instance, run_id: int, statuses=("completed", "failed", "cancelled"), timeout: float = 60) -> BackfillRun:
    deadline = time.monotonic() + timeout
    session = instance.db.session
    while time.monotonic() < deadline:
        session.expire_all()
        run = session.get(BackfillRun, run_id)
        if run.status in statuses:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} still {run.status} after {timeout} s")


def stored(instance) -> tuple[int, int]:
    store = instance.clickhouse_admin
    return store.query("SELECT count() FROM raw_events FINAL").scalar(), store.query("SELECT count() FROM raw_events_rejected FINAL").scalar()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://history/xapi/**/*.jsonl", ("history", "xapi/**/*.jsonl")),
        ("https://history.s3.eu-west-1.amazonaws.com/xapi/a%20b.jsonl", ("history", "xapi/a b.jsonl")),
        ("https://history.s3.amazonaws.com/xapi/*.jsonl.gz", ("history", "xapi/*.jsonl.gz")),
        ("https://s3.us-east-2.amazonaws.com/history/xapi/2026/*.jsonl", ("history", "xapi/2026/*.jsonl")),
    ],
    ids=["s3", "virtual-hosted", "global-host", "path-style"],
)
def test_urls_are_normalised(url, expected):
    assert normalise_url(url) == expected


@pytest.mark.parametrize("url", ["ftp://history/x", "s3://Bad_Bucket/x", "s3://history", "https://example.com/history/x"], ids=["scheme", "bucket", "no-key", "foreign-host"])
def test_bad_urls_are_rejected(url):
    with pytest.raises(UserInputError):
        normalise_url(url)


def test_glob_matches_like_clickhouse():
    pattern = glob_regex("xapi/**/date={2026-01-15,2026-02-01}/*.jsonl{,.gz}")

    assert pattern.match("xapi/a/b/date=2026-01-15/part one.jsonl")
    assert pattern.match("xapi/x/date=2026-02-01/p.jsonl.gz")
    assert not pattern.match("xapi/x/date=2026-02-02/p.jsonl")
    assert not pattern.match("xapi/x/date=2026-01-15/sub/p.jsonl")
    assert glob_regex("logs/part-{1..3}.jsonl").match("logs/part-2.jsonl")
    assert not glob_regex("logs/part-{1..3}.jsonl").match("logs/part-4.jsonl")


@pytest.mark.parametrize(("settings", "message"), [({"max_threads": 4, "input_format_parallel_parsing": True}, None), ({"readonly": 0}, "not allowed"), ({"max_threads": "4"}, "whole number"), ({"max_threads": 0}, "from 1 to 256"), ([1], "JSON object")], ids=["allowed", "unknown", "type", "range", "not-object"])
def test_settings_allow_list(settings, message):
    if message is None:
        assert check_settings(settings) == {"max_threads": 4, "input_format_parallel_parsing": 1}
    else:
        with pytest.raises(UserInputError, match=message):
            check_settings(settings)


def test_plan_describes_files(s3, bucket):
    s3.put_object(Bucket=bucket, Key="xapi/date=2026-02-10/a.jsonl", Body=jsonl(1, 5))
    s3.put_object(Bucket=bucket, Key="xapi/date=2026-02-12/b.jsonl", Body=gzip.compress(jsonl(10, 3)))
    s3.put_object(Bucket=bucket, Key="xapi/date=2026-02-11/empty.jsonl", Body=b"")
    s3.put_object(Bucket=bucket, Key="xapi/other/readme.txt", Body=b"x")

    summary = service.plan_summary(service.plan_pattern(f"s3://{bucket}/xapi/**/*.jsonl"))

    assert summary["files"] == 2
    assert summary["bytes"] == len(jsonl(1, 5)) + len(gzip.compress(jsonl(10, 3)))
    assert summary["gzip_files"] == 1
    assert summary["misnamed_files"] == ["xapi/date=2026-02-12/b.jsonl"]
    assert summary["skipped_empty"] == ["xapi/date=2026-02-11/empty.jsonl"]
    assert (summary["first_day"], summary["last_day"]) == ("2026-02-10", "2026-02-12")


@pytest.mark.parametrize(("suffix", "message"), [("/nothing/*.jsonl", "matches no objects"), ("-missing-bucket/x.jsonl", "does not exist")], ids=["no-match", "no-bucket"])
def test_plan_errors_are_clear(s3, bucket, suffix, message):
    with pytest.raises(UserInputError, match=message):
        service.plan_pattern(f"s3://{bucket}{suffix}")


def test_run_rerun_special_keys_gzip_and_rejects(backfill_app, s3, bucket):
    instance = backfill_app.extensions["olap"]
    s3.put_object(Bucket=bucket, Key="xapi/date=2026-02-10/part one+two=é.jsonl", Body=jsonl(1, 40, bad=2))
    s3.put_object(Bucket=bucket, Key="xapi/date=2026-02-11/gz.jsonl.gz", Body=gzip.compress(jsonl(100, 25, day=11)))
    s3.put_object(Bucket=bucket, Key="xapi/date=2026-02-12/misnamed.jsonl", Body=gzip.compress(jsonl(200, 10, bad=1, day=12)))

    with backfill_app.app_context():
        run = service.schedule(instance, f"s3://{bucket}/xapi/**", {}, False, "test")
        done = wait_for(instance, run.id)

        assert (done.status, done.error) == ("completed", "")
        assert (done.files, done.lines, done.rows_written, done.rejects) == (3, 78, 75, 3)
        assert stored(instance) == (75, 3)
        keys = instance.clickhouse_admin.query("SELECT DISTINCT source_file FROM raw_events ORDER BY source_file").rows
        assert [key for (key,) in keys] == [f"s3://{bucket}/xapi/date=2026-02-10/part one+two=é.jsonl", f"s3://{bucket}/xapi/date=2026-02-11/gz.jsonl.gz", f"s3://{bucket}/xapi/date=2026-02-12/misnamed.jsonl"]

        service.retry(instance, run.id, "test")
        again = wait_for(instance, run.id)

        assert (again.status, again.attempts) == ("completed", 1)
        assert (again.lines, again.rows_written, again.rejects) == (78, 75, 3)
        assert stored(instance) == (75, 3)
        assert instance.clickhouse_admin.query("SELECT count() FROM events").scalar() == 75


def test_cancel_mid_run_then_retry_completes(backfill_app, s3, bucket):
    instance = backfill_app.extensions["olap"]
    for number in range(12):
        s3.put_object(Bucket=bucket, Key=f"slow/part-{number:02d}.jsonl", Body=jsonl(number * 100, 20))

    with backfill_app.app_context():
        # Two GET requests a second make the twelve files take several seconds.
        run = service.schedule(instance, f"s3://{bucket}/slow/*.jsonl", {"s3_max_get_rps": 2, "max_threads": 1, "max_download_threads": 1}, False, "test")
        wait_for(instance, run.id, statuses=("running",), timeout=30)
        time.sleep(0.5)
        service.cancel(instance, run.id, "test")
        cancelled = wait_for(instance, run.id)

        assert cancelled.status == "cancelled"
        assert instance.clickhouse_admin.running(cancelled.query_id) is None
        assert stored(instance)[0] < 240

        service.retry(instance, run.id, "test")
        done = wait_for(instance, run.id)

        assert (done.status, done.lines, done.rows_written) == ("completed", 240, 240)
        assert stored(instance) == (240, 0)


def test_failed_run_records_error_and_retry_succeeds(backfill_app, s3, bucket):
    instance = backfill_app.extensions["olap"]
    s3.put_object(Bucket=bucket, Key="flaky/a.jsonl", Body=jsonl(1, 5))
    s3.put_object(Bucket=bucket, Key="flaky/b.jsonl", Body=jsonl(50, 5))

    with backfill_app.app_context():
        plan = service.plan_pattern(f"s3://{bucket}/flaky/*.jsonl")
        s3.delete_object(Bucket=bucket, Key="flaky/b.jsonl")
        run = BackfillRun(source="s3", pattern=plan.url, plan=plan.as_dict(), created_by="test", files=2, bytes_total=plan.bytes_total, clickhouse_settings={})
        instance.db.session.add(run)
        instance.db.session.commit()
        instance.jobs.enqueue(service.JOB_NAME, run.id)
        failed = wait_for(instance, run.id)

        assert failed.status == "failed"
        assert "1 planned files were not read because they were deleted or changed after planning: flaky/b.jsonl" in failed.error
        assert "testing" not in failed.error

        s3.put_object(Bucket=bucket, Key="flaky/b.jsonl", Body=jsonl(50, 5))
        # The recreated object has the same content, so the planned ETag still matches.
        service.retry(instance, run.id, "test")
        done = wait_for(instance, run.id)

        assert (done.status, done.lines, done.rows_written) == ("completed", 10, 10)
        assert stored(instance) == (10, 0)


def test_console_schedules_and_shows_run(backfill_app, s3, bucket):
    instance = backfill_app.extensions["olap"]
    s3.put_object(Bucket=bucket, Key="web/a.jsonl", Body=jsonl(1, 8, bad=1))
    client = backfill_app.test_client()
    sign_in(client, "admin@example.edu")
    page = client.get("/admin/backfills/s3/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]

    plan = client.post("/admin/backfills/s3/plan", data={"pattern": f"s3://{bucket}/web/*.jsonl", "csrf_token": token}, headers={"HX-Request": "true"}).get_data(as_text=True)
    bad_settings = client.post("/admin/backfills/s3/plan", data={"pattern": f"s3://{bucket}/web/*.jsonl", "settings": '{"readonly": 0}', "csrf_token": token}, headers={"HX-Request": "true"}).get_data(as_text=True)
    scheduled = client.post("/admin/backfills/s3/", data={"pattern": f"s3://{bucket}/web/*.jsonl", "csrf_token": token}, headers={"HX-Request": "true"})

    assert "1 files" in plan
    assert "Start the backfill" in plan
    assert "not allowed for backfills" in bad_settings
    run_url = scheduled.headers["HX-Redirect"]
    run_id = int(run_url.rstrip("/").rsplit("/", 1)[1])
    done = wait_for(instance, run_id)
    assert (done.lines, done.rows_written, done.rejects) == (9, 8, 1)
    status = client.get(f"{run_url}/status")
    assert status.status_code == 286
    assert 'data-status="completed"' in status.get_data(as_text=True)
    listing = client.get("/admin/backfills/s3/?status=completed&list=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"#{run_id}" in listing
    deleted = client.post(f"{run_url}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    actions = [action for (action,) in instance.db.session.query(AuditEvent.action).filter(AuditEvent.action.like("backfill.%")).all()]
    assert actions == ["backfill.schedule", "backfill.delete"]


@pytest.mark.parametrize(("email", "status"), [(None, 302), ("teach@example.edu", 403), ("author@example.edu", 403), ("admin@example.edu", 200)], ids=["anonymous", "instructor", "author", "admin"])
def test_console_role_matrix(client, seeded, email, status):
    if email:
        sign_in(client, email)

    assert client.get("/admin/backfills/s3/").status_code == status
    assert client.get("/admin/backfills/s3/1").status_code in ((302,) if email is None else (404,) if status == 200 else (403,))


def test_console_needs_bulk_ingest_flag(client, instance, seeded):
    from olap.core.flags import set_flag

    set_flag(instance.config.flags_file, instance.registry.flags, "clickhouse-olap-bulk-ingest", False)
    sign_in(client, "admin@example.edu")

    response = client.get("/admin/backfills/s3/")

    assert response.status_code == 403
    assert "clickhouse-olap-bulk-ingest" in response.get_data(as_text=True)


def test_cli_dry_run_and_wait(olap_env, database_url, s3, bucket, monkeypatch):
    from olap.core.cli import main

    for name, value in {**olap_env, "DATABASE_URL": database_url}.items():
        monkeypatch.setenv(name, value)
    s3.put_object(Bucket=bucket, Key="cli/a.jsonl.gz", Body=gzip.compress(jsonl(1, 12, bad=2)))
    runner = CliRunner()
    runner.invoke(main, ["migrate", "up"], catch_exceptions=False)

    plan = runner.invoke(main, ["backfill", "s3", f"s3://{bucket}/cli/*", "--dry-run"], catch_exceptions=False)
    waited = runner.invoke(main, ["backfill", "s3", f"s3://{bucket}/cli/*", "--wait"], catch_exceptions=False)
    nothing = runner.invoke(main, ["backfill", "s3", f"s3://{bucket}/none/*", "--dry-run"], catch_exceptions=False)

    assert json.loads(plan.output)["files"] == 1
    outcome = json.loads(waited.stdout.strip().splitlines()[-1])
    assert (outcome["status"], outcome["lines"], outcome["rows"], outcome["rejects"]) == ("completed", 14, 12, 2)
    assert nothing.exit_code == 2
    assert "matches no objects" in nothing.output


def test_run_left_running_by_dead_worker_can_be_retried(backfill_app, s3, bucket):
    instance = backfill_app.extensions["olap"]
    s3.put_object(Bucket=bucket, Key="crash/a.jsonl", Body=jsonl(1, 6))

    with backfill_app.app_context():
        plan = service.plan_pattern(f"s3://{bucket}/crash/*.jsonl")
        # A run marked running with no job, as a worker that died mid-run leaves it.
        run = BackfillRun(source="s3", pattern=plan.url, plan=plan.as_dict(), created_by="test", status="running", files=1, bytes_total=plan.bytes_total, clickhouse_settings={}, query_id="backfill-x-0-")
        instance.db.session.add(run)
        instance.db.session.commit()

        service.retry(instance, run.id, "test")
        done = wait_for(instance, run.id)

        assert (done.status, done.lines, done.rows_written) == ("completed", 6, 6)


def test_running_run_with_live_job_refuses_retry(backfill_app, s3, bucket):
    from olap.core.errors import Conflict

    instance = backfill_app.extensions["olap"]
    for number in range(6):
        s3.put_object(Bucket=bucket, Key=f"live/{number}.jsonl", Body=jsonl(number * 10, 5))

    with backfill_app.app_context():
        run = service.schedule(instance, f"s3://{bucket}/live/*.jsonl", {"s3_max_get_rps": 1, "max_threads": 1}, False, "test")
        wait_for(instance, run.id, statuses=("running",), timeout=30)

        with pytest.raises(Conflict):
            service.retry(instance, run.id, "test")
        service.cancel(instance, run.id, "test")
        assert wait_for(instance, run.id).status == "cancelled"
