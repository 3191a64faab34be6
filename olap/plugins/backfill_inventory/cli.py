"""`olap backfill inventory MANIFEST [--dry-run] [--wait]` and `olap backfill inventory-recover`."""

from __future__ import annotations

import json
import sys
import time

import click

TERMINAL = ("completed", "failed", "cancelled")


@click.command("inventory")
@click.argument("manifest")
@click.option("--dry-run", is_flag=True, help="Print what the run would load (objects, bytes, skipped keys, inserts) and exit.")
@click.option("--wait", is_flag=True, help="Wait for the run to finish, with a progress bar on stderr.")
@click.option("--from", "date_from", default="", help="First day to load, YYYY-MM-DD (included).")
@click.option("--to", "date_to", default="", help="Last day to load, YYYY-MM-DD (included).")
@click.option("--date-basis", type=click.Choice(["key", "last_modified"]), default="key", show_default=True, help="Judge the date range by the date in the key or by the last modified time.")
@click.option("--chunk-size", default=25, show_default=True, help="Keys per INSERT statement.")
@click.option("--concurrency", default=1, show_default=True, help="Batches (inventory files) loaded at the same time.")
@click.option("--retries", default=1, show_default=True, help="Automatic retries of a failed batch.")
@click.option("--optimize-after", is_flag=True, help="Run OPTIMIZE TABLE raw_events FINAL afterwards.")
def inventory_command(manifest: str, dry_run: bool, wait: bool, date_from: str, date_to: str, date_basis: str, chunk_size: int, concurrency: int, retries: int, optimize_after: bool) -> None:
    """Back-fill raw_events from the objects an S3 Inventory MANIFEST (s3://…/manifest.json) lists."""
    from olap.core.app import create_app
    from olap.plugins.backfill_inventory import service

    options = service.make_options(date_from, date_to, date_basis, chunk_size, concurrency, retries, optimize_after)
    if dry_run:
        click.echo(json.dumps(service.dry_run(service.locate(manifest), options), indent=1))
        return

    app = create_app()
    instance = app.extensions["olap"]
    try:
        in_process = not instance.config["REDIS_URL"] or instance.config.embedded_clickhouse
        if in_process and not wait:
            click.echo("backfill: jobs run inside this process here (no REDIS_URL, or embedded ClickHouse), so the command waits for the run.", err=True)
            wait = True
        with app.app_context():
            run = service.schedule(instance, service.locate(manifest), options, "cli")
            click.echo(f"inventory run {run.id}: scheduled", err=True)
            if wait:
                run = _wait(instance, run.id)
                click.echo(json.dumps({
                    "run": run.id, "status": run.status, "batches": run.batches_by_status, "objects": run.objects_done, "missing": run.objects_missing,
                    "skipped": run.skipped, "lines": run.lines, "rows": run.rows_written, "rejects": run.rejects, "bytes": run.bytes_done, "error": run.error,
                }))
                if run.status != "completed":
                    sys.exit(1)
    finally:
        instance.close()


@click.command("inventory-recover")
def inventory_recover_command() -> None:
    """Queue again the inventory batches whose worker stopped; each resumes after its last finished chunk."""
    from olap.core.app import create_app
    from olap.plugins.backfill_inventory.progress import RECOVER_JOB

    app = create_app()
    instance = app.extensions["olap"]
    try:
        with app.app_context():
            job = instance.jobs.enqueue(RECOVER_JOB, job_id="inventory-recover")
            click.echo(f"inventory recovery: queued as job {job.id}", err=True)
    finally:
        instance.close()


def _wait(instance, run_id: int):
    from olap.plugins.backfill_inventory.models import InventoryRun

    session = instance.db.session
    with click.progressbar(length=1000, label="inventory", file=sys.stderr) as bar:
        drawn = 0
        while True:
            session.expire_all()
            run = session.get(InventoryRun, run_id)
            if run.status in TERMINAL and run.finished_at is not None:
                bar.update(1000 - drawn)
                return run
            if run.objects_total:
                target = int((run.objects_done + run.objects_missing) / run.objects_total * 1000)
                bar.update(max(0, target - drawn))
                drawn = max(drawn, target)
            time.sleep(0.5)
