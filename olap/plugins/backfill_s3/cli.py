"""`olap backfill s3 PATTERN [--dry-run] [--wait]`."""

from __future__ import annotations

import json
import sys
import time

import click

TERMINAL = ("completed", "failed", "cancelled")


@click.group("backfill")
def backfill_command() -> None:
    """Load history from S3 into raw_events."""


@backfill_command.command("s3")
@click.argument("pattern")
@click.option("--dry-run", is_flag=True, help="Print the plan (files, bytes, dates, compression) and exit.")
@click.option("--wait", is_flag=True, help="Wait for the run to finish, with a progress bar on stderr.")
@click.option("--settings", "settings_json", default="", help='ClickHouse settings as JSON, e.g. \'{"max_threads": 4}\'.')
@click.option("--optimize-after", is_flag=True, help="Run OPTIMIZE TABLE raw_events FINAL afterwards.")
def backfill_s3(pattern: str, dry_run: bool, wait: bool, settings_json: str, optimize_after: bool) -> None:
    """Back-fill raw_events from S3 objects matching PATTERN (s3://bucket/prefix/**/*.jsonl.gz)."""
    from olap.core.app import create_app
    from olap.core.errors import UserInputError
    from olap.plugins.backfill_s3 import service

    try:
        settings = json.loads(settings_json) if settings_json else {}
    except json.JSONDecodeError as err:
        raise UserInputError(f"--settings is not valid JSON: {err.msg}.") from None
    if dry_run:
        service.check_settings(settings)
        click.echo(json.dumps(service.plan_summary(service.plan_pattern(pattern)), indent=1))
        return

    app = create_app()
    instance = app.extensions["olap"]
    try:
        in_process = not instance.config["REDIS_URL"] or instance.config.embedded_clickhouse
        if in_process and not wait:
            click.echo("backfill: jobs run inside this process here (no REDIS_URL, or embedded ClickHouse), so the command waits for the run.", err=True)
            wait = True
        with app.app_context():
            run = service.schedule(instance, pattern, settings, optimize_after, "cli")
            click.echo(f"backfill run {run.id}: scheduled, {run.files} files, {run.bytes_total} bytes", err=True)
            if wait:
                run = _wait(instance, run.id)
                click.echo(json.dumps({"run": run.id, "status": run.status, "files": run.files, "lines": run.lines, "rows": run.rows_written, "rejects": run.rejects, "duration_ms": run.duration_ms, "error": run.error}))
                if run.status != "completed":
                    sys.exit(1)
    finally:
        instance.close()


def _wait(instance, run_id: int):
    from olap.core.models import BackfillRun
    from olap.plugins.backfill_s3.running import progress

    session = instance.db.session
    with click.progressbar(length=1000, label="backfill", file=sys.stderr) as bar:
        shown = 0
        while True:
            session.expire_all()
            run = session.get(BackfillRun, run_id)
            if run.status in TERMINAL:
                bar.update(1000 - shown)
                return run
            live = progress(instance.clickhouse_admin, run)
            if live:
                target = int(live["share"] * 1000)
                bar.update(max(0, target - shown))
                shown = max(shown, target)
            time.sleep(0.5)
