"""Inventory backfill jobs: prepare a run's batches, load a batch chunk by chunk, recover stalled batches.

A batch's finished chunks are a prefix of its selected keys, in file order. Each chunk's
log and the batch's counters are written in one transaction after its INSERT. So a
worker killed mid-chunk leaves the batch at its last finished chunk, and the recovery
job queues it again from there. The chunk that was cut off runs again, which stores
nothing twice, and its counts are read back from ClickHouse.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from olap.core.errors import ClickHouseError, UserInputError
from olap.core.s3 import s3_client
from olap.plugins.backfill_inventory.loading import chunk_statement, count_chunk, s3_credentials
from olap.plugins.backfill_inventory.manifest import InventoryFile, InventoryObject, Manifest, read_inventory_file, read_manifest, select_objects
from olap.plugins.backfill_inventory.models import TERMINAL, ChunkLog, InventoryBatch, InventoryRun
from olap.plugins.backfill_inventory.progress import PREPARE_JOB, dispatch, finish_run, job_alive, lock_run, refresh_run

logger = logging.getLogger(__name__)


def _instance():
    return current_app.extensions["olap"]


def _scrub(text: str) -> str:
    for secret in s3_credentials().values():
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _wait_for(session, model, row_id: int):
    # The request commits a row right before enqueueing its job, but a worker thread can
    # start before its database connection sees that commit, so wait briefly for the row.
    for _attempt in range(50):
        row = session.get(model, row_id, populate_existing=True)
        if row is not None:
            return row
        session.rollback()
        time.sleep(0.1)
    return None


def manifest_of(run: InventoryRun) -> Manifest:
    """Return the parts of the run's manifest that a batch needs, as stored on the run."""
    bucket = run.manifest_url.removeprefix("s3://").split("/", 1)[0]
    return Manifest(run.manifest_url, run.inventory_bucket or bucket, run.source_bucket, run.file_format, run.file_schema, [])


def selected_objects(run: InventoryRun, batch: InventoryBatch) -> tuple[list[InventoryObject], int]:
    """Read a batch's inventory file again and return (objects to load, skipped count)."""
    listed = read_inventory_file(s3_client(), manifest_of(run), InventoryFile(batch.inventory_key, batch.inventory_size, batch.inventory_md5))
    selection = select_objects(listed, run.date_from, run.date_to, run.date_basis)
    return selection.objects, selection.skipped


def prepare_run(run_id: int) -> str:
    """Job: read a run's manifest and inventory files, create one batch per file, queue the first batches."""
    instance = _instance()
    session = instance.db.session
    run = _wait_for(session, InventoryRun, run_id)
    if run is None:
        logger.error("inventory run %s: not found; the prepare job ends without work", run_id)
        return "missing"
    if run.status not in ("pending", "preparing") or run.batches:
        logger.info("inventory run %s: already %s; nothing to prepare", run.id, run.status)
        return run.status
    run.status, run.started_at = "preparing", datetime.now(timezone.utc)
    session.commit()

    client = s3_client()
    try:
        manifest = read_manifest(client, run.manifest_url)
        batches = []
        for number, inventory_file in enumerate(manifest.files):
            selection = select_objects(read_inventory_file(client, manifest, inventory_file), run.date_from, run.date_to, run.date_basis)
            batches.append(InventoryBatch(
                number=number, inventory_key=inventory_file.key, inventory_size=inventory_file.size, inventory_md5=inventory_file.md5,
                keys_total=len(selection.objects), skipped=selection.skipped, bytes_total=selection.bytes_total,
            ))
    except UserInputError as err:
        logger.warning("inventory run %s: preparing failed: %s", run.id, err)
        run.status, run.error, run.finished_at = "failed", str(err), datetime.now(timezone.utc)
        session.commit()
        return run.status

    run = lock_run(session, run_id)
    if run.cancel_requested:
        session.commit()
        return run.status
    run.batches.extend(batches)
    run.file_format, run.file_schema, run.source_bucket, run.inventory_bucket = manifest.file_format, manifest.file_schema, manifest.source_bucket, manifest.bucket
    run.status = "running"
    session.flush()
    refresh_run(session, run)
    session.commit()
    logger.info("inventory run %s: prepared %d batches, %d objects, %d skipped", run.id, len(batches), run.objects_total, run.skipped)

    dispatch(instance, run.id)
    return finish_run(instance, run.id)


def run_batch(batch_id: int, dispatch_number: int) -> str:
    """Job: load a batch's remaining chunks, then queue the next batches; return the batch's status."""
    instance = _instance()
    session = instance.db.session
    if _wait_for(session, InventoryBatch, batch_id) is None:
        logger.error("inventory batch %s: not found; the job ends without work", batch_id)
        return "missing"
    claimed = session.execute(
        update(InventoryBatch)
        .where(InventoryBatch.id == batch_id, InventoryBatch.status == "queued", InventoryBatch.dispatch == dispatch_number)
        .values(status="running", started_at=datetime.now(timezone.utc), error="")
    ).rowcount
    session.commit()
    batch = session.get(InventoryBatch, batch_id, populate_existing=True)
    if not claimed:
        logger.info("inventory batch %s: dispatch %s is stale (batch is %s); nothing to do", batch_id, dispatch_number, batch.status)
        return batch.status
    run = batch.run
    logger.info("inventory batch %s: started (run %s, file %s, from key %s)", batch.id, run.id, batch.inventory_key, batch.keys_done)

    try:
        objects, _skipped = selected_objects(run, batch)
    except UserInputError as err:
        _end_batch(session, batch, "failed", str(err))
    else:
        _load_chunks(instance, session, run, batch, objects)
    dispatch(instance, run.id)
    finish_run(instance, run.id)
    return batch.status


def _load_chunks(instance: Any, session, run: InventoryRun, batch: InventoryBatch, objects: list[InventoryObject]) -> None:
    store = instance.clickhouse_admin
    bucket = run.source_bucket
    chunk_size = run.chunk_size
    while batch.keys_done < len(objects):
        session.refresh(run)
        if run.cancel_requested:
            return _end_batch(session, batch, "cancelled", "Cancelled by an admin.")
        if run.pause_requested:
            return _end_batch(session, batch, "paused", "")

        chunk = objects[batch.keys_done : batch.keys_done + chunk_size]
        log = ChunkLog(run_id=run.id, batch_id=batch.id, chunk_index=batch.chunks_done, key_offset=batch.keys_done, attempt=batch.attempts, keys=[listed.key for listed in chunk])
        log.query_id = f"inventory-{run.id}-{batch.id}-{log.chunk_index}-{log.attempt}"
        started = time.perf_counter()
        try:
            sql, parameters = chunk_statement(bucket, chunk)
            store.command(sql, parameters, query_id=log.query_id, comment=f"inventory run {run.id} batch {batch.id}")
            lines, rejects, missing = count_chunk(store, bucket, chunk)
        except ClickHouseError as err:
            log.status, log.error, log.duration_ms = "failed", _scrub(str(err)), int((time.perf_counter() - started) * 1000)
            session.add(log)
            return _chunk_failed(session, run, batch, err, log.error)

        log.status, log.duration_ms = "finished", int((time.perf_counter() - started) * 1000)
        log.objects, log.missing = len(chunk) - len(missing), len(missing)
        log.rows_read, log.rejects, log.rows_written = lines, rejects, lines - rejects
        log.bytes_read = sum(listed.size for listed in chunk if listed.key not in set(missing))
        session.add(log)
        batch.keys_done += len(chunk)
        batch.chunks_done += 1
        batch.missing += log.missing
        batch.bytes_done += log.bytes_read
        batch.lines += lines
        batch.rejects += rejects
        session.commit()
    _end_batch(session, batch, "completed", "")


def _chunk_failed(session, run: InventoryRun, batch: InventoryBatch, err: ClickHouseError, message: str) -> None:
    session.refresh(run)
    if run.cancel_requested or err.name == "QUERY_WAS_CANCELLED":
        return _end_batch(session, batch, "cancelled", "Cancelled while a chunk ran; its rows stay, and a new run stores nothing twice.")
    batch.attempts += 1
    if batch.attempts <= run.retries:
        logger.warning("inventory batch %s: chunk failed, retry %d of %d: %s", batch.id, batch.attempts, run.retries, message)
        return _end_batch(session, batch, "pending", message)
    logger.warning("inventory batch %s: failed after %d attempts: %s", batch.id, batch.attempts, message)
    return _end_batch(session, batch, "failed", message)


def _end_batch(session, batch: InventoryBatch, status: str, error: str) -> None:
    batch.status, batch.error = status, error
    batch.finished_at = datetime.now(timezone.utc) if status in TERMINAL else None
    session.commit()
    logger.info("inventory batch %s: %s after %d chunks, %d of %d keys", batch.id, status, batch.chunks_done, batch.keys_done, batch.keys_total)


def recover_runs() -> dict[str, int]:
    """Job: queue again the batches and preparations whose job is gone, such as after a killed worker.

    A queued or running batch without a live job goes back to pending, so the dispatcher
    queues it again, and it resumes after its last finished chunk.
    """
    instance = _instance()
    session = instance.db.session
    recovered = {"batches": 0, "runs": 0}
    stale = session.scalars(select(InventoryBatch).join(InventoryRun).where(InventoryBatch.status.in_(("queued", "running")), InventoryRun.finished_at.is_(None))).all()
    for batch in stale:
        if job_alive(instance.jobs, batch.job_id):
            continue
        logger.warning("inventory batch %s: its job %s is gone; resuming from key %s", batch.id, batch.job_id or "(none)", batch.keys_done)
        session.execute(update(InventoryBatch).where(InventoryBatch.id == batch.id, InventoryBatch.dispatch == batch.dispatch).values(status="pending"))
        recovered["batches"] += 1
    session.commit()

    unprepared = session.scalars(select(InventoryRun).where(InventoryRun.status.in_(("pending", "preparing")), InventoryRun.finished_at.is_(None))).all()
    for run in unprepared:
        if not job_alive(instance.jobs, f"inventory-prepare-{run.id}"):
            run.status = "pending"
            session.commit()
            instance.jobs.enqueue(PREPARE_JOB, run.id, job_id=f"inventory-prepare-{run.id}")
            recovered["runs"] += 1

    open_runs = session.scalars(select(InventoryRun.id).where(InventoryRun.status.in_(("running", "paused")), InventoryRun.finished_at.is_(None))).all()
    for run_id in open_runs:
        dispatch(instance, run_id)
        finish_run(instance, run_id)
    logger.info("inventory recovery: %d batches and %d preparations queued again", recovered["batches"], recovered["runs"])
    return recovered
