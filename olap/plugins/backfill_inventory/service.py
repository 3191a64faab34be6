"""Inventory backfill actions: dry run, schedule, pause, resume, cancel, retry a batch, settings, delete.

Every action that changes a run writes an audit record and commits before it enqueues a
job, so a worker never reads a state older than the one the action wrote.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import update

from olap.core import audit
from olap.core.errors import Conflict, NotFound, UserInputError
from olap.core.s3 import s3_client
from olap.plugins.backfill_inventory.manifest import check_date_basis, find_manifest, read_inventory_file, read_manifest, select_objects
from olap.plugins.backfill_inventory.models import TERMINAL, InventoryBatch, InventoryRun
from olap.plugins.backfill_inventory.progress import PREPARE_JOB, dispatch, finish_run, lock_run, refresh_run

logger = logging.getLogger(__name__)

LIMITS = {"chunk_size": (1, 10_000), "concurrency": (1, 32), "retries": (0, 10)}


@dataclass(frozen=True)
class RunOptions:
    """The options of a run besides its manifest: date range, chunk size, concurrency, retries."""

    date_from: date | None = None
    date_to: date | None = None
    date_basis: str = "key"
    chunk_size: int = 25
    concurrency: int = 1
    retries: int = 1
    optimize_after: bool = False


def check_setting(name: str, value: Any) -> int:
    """Return a chunk size, concurrency or retry count as an int, or raise naming the allowed range."""
    low, high = LIMITS[name]
    label = name.replace("_", " ")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise UserInputError(f"The {label} must be a whole number from {low} to {high}, not {value!r}.") from None
    if not low <= number <= high:
        raise UserInputError(f"The {label} must be from {low} to {high}, not {number}.")
    return number


def parse_day(text: str | None, label: str) -> date | None:
    if not text or not str(text).strip():
        return None
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise UserInputError(f"The {label} {text!r} is not a date; use YYYY-MM-DD.") from None


def make_options(date_from: str = "", date_to: str = "", date_basis: str = "key", chunk_size: Any = 25, concurrency: Any = 1, retries: Any = 1, optimize_after: bool = False) -> RunOptions:
    """Check form or command-line values and return them as RunOptions."""
    options = RunOptions(
        parse_day(date_from, "start date"), parse_day(date_to, "end date"), date_basis or "key",
        check_setting("chunk_size", chunk_size), check_setting("concurrency", concurrency), check_setting("retries", retries), bool(optimize_after),
    )
    if options.date_from and options.date_to and options.date_from > options.date_to:
        raise UserInputError(f"The start date {options.date_from} is after the end date {options.date_to}.")
    return options


def dry_run(manifest_url: str, options: RunOptions) -> dict[str, Any]:
    """Read the manifest and every inventory file, and return what a run would load, writing nothing."""
    client = s3_client()
    manifest = read_manifest(client, manifest_url)
    check_date_basis(manifest, options.date_basis, bool(options.date_from or options.date_to))
    summary: dict[str, Any] = {
        "manifest": manifest.url, "source_bucket": manifest.source_bucket, "format": manifest.file_format, "created": manifest.created,
        "files": len(manifest.files), "objects": 0, "bytes": 0, "skipped_empty": 0, "skipped_out_of_range": 0, "skipped_other": 0, "chunks": 0,
        "first_key": None, "last_key": None,
    }
    for inventory_file in manifest.files:
        selection = select_objects(read_inventory_file(client, manifest, inventory_file), options.date_from, options.date_to, options.date_basis)
        summary["objects"] += len(selection.objects)
        summary["bytes"] += selection.bytes_total
        summary["skipped_empty"] += selection.skipped_empty
        summary["skipped_out_of_range"] += selection.skipped_out_of_range
        summary["skipped_other"] += selection.skipped_other
        summary["chunks"] += math.ceil(len(selection.objects) / options.chunk_size)
        keys = [listed.key for listed in selection.objects]
        if keys:
            summary["first_key"] = min(keys + ([summary["first_key"]] if summary["first_key"] else []))
            summary["last_key"] = max(keys + ([summary["last_key"]] if summary["last_key"] else []))
    summary["skipped"] = summary["skipped_empty"] + summary["skipped_out_of_range"] + summary["skipped_other"]
    return summary


def locate(manifest_url: str = "", bucket: str = "", prefix: str = "", when: str = "") -> str:
    """Return the manifest URL given directly or found from bucket, inventory prefix and date."""
    return find_manifest(s3_client(), manifest_url, bucket, prefix, when)


def _actor(actor: Any) -> dict[str, Any]:
    return {"user": actor} if hasattr(actor, "email") else {"actor": str(actor)}


def schedule(instance: Any, manifest_url: str, options: RunOptions, actor: Any) -> InventoryRun:
    """Check the manifest, store a pending run and enqueue its preparation; nothing is stored if enqueueing fails."""
    manifest = read_manifest(s3_client(), manifest_url)
    check_date_basis(manifest, options.date_basis, bool(options.date_from or options.date_to))
    session = instance.db.session
    run = InventoryRun(
        manifest_url=manifest.url, source_bucket=manifest.source_bucket, inventory_bucket=manifest.bucket, file_format=manifest.file_format, file_schema=manifest.file_schema,
        status="pending", date_from=options.date_from, date_to=options.date_to, date_basis=options.date_basis, chunk_size=options.chunk_size,
        concurrency=options.concurrency, retries=options.retries, optimize_after=options.optimize_after, created_by=getattr(actor, "email", None) or str(actor),
    )
    session.add(run)
    session.flush()
    audit.record(session, "inventory.schedule", "succeeded", target=f"inventory run {run.id}", detail={"manifest": manifest.url, "files": len(manifest.files)}, **_actor(actor))
    session.commit()
    try:
        instance.jobs.enqueue(PREPARE_JOB, run.id, job_id=f"inventory-prepare-{run.id}")
    except Exception:
        logger.exception("inventory run %s: enqueueing its preparation failed; removing the run", run.id)
        session.delete(run)
        session.commit()
        raise
    logger.info("inventory run %s: scheduled by %s for %s", run.id, run.created_by, manifest.url)
    return run


def get_run(session, run_id: int) -> InventoryRun:
    run = session.get(InventoryRun, run_id, populate_existing=True)
    if run is None:
        raise NotFound(f"Inventory run {run_id} does not exist.")
    return run


def get_batch(session, run_id: int, batch_id: int) -> InventoryBatch:
    batch = session.get(InventoryBatch, batch_id, populate_existing=True)
    if batch is None or batch.run_id != run_id:
        raise NotFound(f"Batch {batch_id} of inventory run {run_id} does not exist.")
    return batch


def pause(instance: Any, run_id: int, actor: Any) -> InventoryRun:
    """Stop starting batches; running batches stop after their current chunk."""
    session = instance.db.session
    run = get_run(session, run_id)
    if run.status != "running":
        raise Conflict(f"Inventory run {run.id} is {run.status}; only a running run can be paused.")
    run = lock_run(session, run_id)
    run.pause_requested = True
    session.execute(update(InventoryBatch).where(InventoryBatch.run_id == run.id, InventoryBatch.status == "queued").values(status="paused"))
    refresh_run(session, run)
    audit.record(session, "inventory.pause", "succeeded", target=f"inventory run {run.id}", **_actor(actor))
    session.commit()
    return run


def resume(instance: Any, run_id: int, actor: Any) -> InventoryRun:
    """Queue the paused and pending batches again, up to the run's concurrency."""
    session = instance.db.session
    run = get_run(session, run_id)
    if run.status != "paused":
        raise Conflict(f"Inventory run {run.id} is {run.status}; only a paused run can be resumed.")
    run = lock_run(session, run_id)
    run.pause_requested = False
    session.execute(update(InventoryBatch).where(InventoryBatch.run_id == run.id, InventoryBatch.status == "paused").values(status="pending"))
    refresh_run(session, run)
    audit.record(session, "inventory.resume", "succeeded", target=f"inventory run {run.id}", **_actor(actor))
    session.commit()
    dispatch(instance, run.id)
    finish_run(instance, run.id)
    return get_run(session, run_id)


def cancel(instance: Any, run_id: int, actor: Any) -> InventoryRun:
    """Cancel a run: batches not running are cancelled now, running ones have their statement killed."""
    session = instance.db.session
    run = get_run(session, run_id)
    if run.status in TERMINAL:
        raise Conflict(f"Inventory run {run.id} is already {run.status}; only an unfinished run can be cancelled.")
    run = lock_run(session, run_id)
    run.cancel_requested = True
    now = datetime.now(timezone.utc)
    session.execute(
        update(InventoryBatch)
        .where(InventoryBatch.run_id == run.id, InventoryBatch.status.in_(("pending", "queued", "paused")))
        .values(status="cancelled", error="Cancelled by an admin.", finished_at=now)
    )
    if run.status in ("pending", "preparing"):
        run.status, run.error, run.finished_at = "cancelled", "Cancelled before its batches were prepared.", now
    refresh_run(session, run)
    session.commit()
    # The query ids of a run's chunks all start with this prefix; the trailing dash keeps
    # run 1 from matching run 10.
    killed = instance.clickhouse_admin.kill(f"inventory-{run.id}-")
    audit.record(session, "inventory.cancel", "succeeded", target=f"inventory run {run.id}", detail={"killed_query": killed}, **_actor(actor))
    session.commit()
    finish_run(instance, run.id)
    return get_run(session, run_id)


def retry_batch(instance: Any, run_id: int, batch_id: int, actor: Any) -> InventoryBatch:
    """Queue a failed batch again; it goes on after its last finished chunk with fresh retries."""
    session = instance.db.session
    batch = get_batch(session, run_id, batch_id)
    run = batch.run
    if batch.status != "failed":
        raise Conflict(f"Batch {batch.id} is {batch.status}; only a failed batch can be retried.")
    if run.cancel_requested:
        raise Conflict(f"Inventory run {run.id} was cancelled; start a new run instead.")
    run = lock_run(session, run_id)
    batch = session.get(InventoryBatch, batch_id, populate_existing=True)
    batch.status, batch.error, batch.attempts, batch.finished_at = "pending", "", 0, None
    run.finished_at, run.error = None, ""
    run.status = "paused" if run.pause_requested else "running"
    refresh_run(session, run)
    audit.record(session, "inventory.retry_batch", "succeeded", target=f"inventory run {run.id} batch {batch.id}", **_actor(actor))
    session.commit()
    dispatch(instance, run.id)
    return batch


def update_settings(instance: Any, run_id: int, chunk_size: Any, concurrency: Any, retries: Any, actor: Any) -> InventoryRun:
    """Change chunk size, concurrency and retries of a paused run."""
    session = instance.db.session
    run = get_run(session, run_id)
    if run.status != "paused":
        raise Conflict(f"Inventory run {run.id} is {run.status}; pause it before changing its settings.")
    values = {"chunk_size": check_setting("chunk_size", chunk_size), "concurrency": check_setting("concurrency", concurrency), "retries": check_setting("retries", retries)}
    before = {name: getattr(run, name) for name in values}
    for name, value in values.items():
        setattr(run, name, value)
    audit.record(session, "inventory.settings", "succeeded", target=f"inventory run {run.id}", detail={"before": before, "after": values}, **_actor(actor))
    session.commit()
    return run


def delete(instance: Any, run_id: int, actor: Any) -> None:
    """Delete the record of a finished run with its batches and chunk logs (the rows it stored stay)."""
    session = instance.db.session
    run = get_run(session, run_id)
    if run.status not in TERMINAL or any(batch.status == "running" for batch in run.batches):
        raise Conflict(f"Inventory run {run.id} is {run.status}; only a completed, failed or cancelled run whose batches have stopped can be deleted.")
    session.delete(run)
    audit.record(session, "inventory.delete", "succeeded", target=f"inventory run {run_id}", **_actor(actor))
    session.commit()
