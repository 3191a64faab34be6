"""A run's state from its batches: derived status and counters, queueing batches, finishing the run.

Several worker threads or processes finish batches at the same time. So each step that
reads counts and then writes starts its transaction by updating the run's row. On
PostgreSQL that locks the row, and on SQLite it takes the database's write lock. The
reads that follow see every committed change.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, update

from olap.core.clickhouse import ClickHouse
from olap.core.errors import ClickHouseError
from olap.plugins.backfill_inventory.models import ACTIVE_BATCH, BATCH_STATUSES, TERMINAL, InventoryBatch, InventoryRun

logger = logging.getLogger(__name__)

BATCH_JOB = "backfill_inventory.batch"
PREPARE_JOB = "backfill_inventory.prepare"
RECOVER_JOB = "backfill_inventory.recover"
OPEN_BATCH = ("pending", "queued", "running", "paused")


def lock_run(session, run_id: int) -> InventoryRun | None:
    """Start a fresh transaction holding the run's row (PostgreSQL) or the write lock (SQLite)."""
    session.commit()
    session.execute(update(InventoryRun).where(InventoryRun.id == run_id).values(concurrency=InventoryRun.concurrency))
    run = session.get(InventoryRun, run_id, populate_existing=True)
    return run


def refresh_run(session, run: InventoryRun) -> None:
    """Derive the run's counters and status from its batches (the caller commits).

    A run stays pending or preparing until it has batches. With a cancel requested it is
    cancelled; with a pause requested and batches left, paused. Once every batch is
    completed, failed or cancelled, finish_run sets the final status: failed if any batch
    failed, cancelled if any was cancelled, else completed.
    """
    totals = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(InventoryBatch.keys_total), 0),
            func.coalesce(func.sum(InventoryBatch.keys_done), 0),
            func.coalesce(func.sum(InventoryBatch.missing), 0),
            func.coalesce(func.sum(InventoryBatch.skipped), 0),
            func.coalesce(func.sum(InventoryBatch.bytes_total), 0),
            func.coalesce(func.sum(InventoryBatch.bytes_done), 0),
            func.coalesce(func.sum(InventoryBatch.lines), 0),
            func.coalesce(func.sum(InventoryBatch.rejects), 0),
        ).where(InventoryBatch.run_id == run.id)
    ).one()
    by_status = dict(session.execute(select(InventoryBatch.status, func.count()).where(InventoryBatch.run_id == run.id).group_by(InventoryBatch.status)).all())
    run.batches_total, run.objects_total, done, run.objects_missing, run.skipped, run.bytes_total, run.bytes_done, run.lines, run.rejects = (int(value) for value in totals)
    run.objects_done = done - run.objects_missing
    run.rows_written = run.lines - run.rejects
    run.batches_by_status = {status: int(by_status.get(status, 0)) for status in BATCH_STATUSES}

    if run.status in TERMINAL or run.status in ("pending", "preparing"):
        return
    if run.cancel_requested:
        run.status = "cancelled"
    elif any(by_status.get(status) for status in OPEN_BATCH):
        run.status = "paused" if run.pause_requested else "running"


def final_status(run: InventoryRun) -> str | None:
    """Return the status a run ends with once no batch is open, or None while some are."""
    counts = run.batches_by_status or {}
    if any(counts.get(status) for status in OPEN_BATCH):
        return None
    if counts.get("failed"):
        return "failed"
    if counts.get("cancelled") or run.cancel_requested:
        return "cancelled"
    return "completed"


def dispatch(instance: Any, run_id: int) -> list[int]:
    """Queue pending batches of a running run until `concurrency` batches are queued or running.

    Return the ids of the batches queued. Each gets a new dispatch number, and its job
    claims the batch only with that number, so a stale job of the same batch does nothing.
    """
    session = instance.db.session
    run = lock_run(session, run_id)
    if run is None:
        session.commit()
        return []
    if run.status not in ("running", "paused") or run.pause_requested or run.cancel_requested:
        refresh_run(session, run)
        session.commit()
        return []
    active = session.scalar(select(func.count()).where(InventoryBatch.run_id == run.id, InventoryBatch.status.in_(ACTIVE_BATCH)))
    free = max(0, run.concurrency - int(active or 0))
    batches = session.scalars(select(InventoryBatch).where(InventoryBatch.run_id == run.id, InventoryBatch.status == "pending").order_by(InventoryBatch.number).limit(free)).all() if free else []
    for batch in batches:
        batch.status, batch.dispatch = "queued", batch.dispatch + 1
        batch.job_id = f"inventory-batch-{batch.id}-{batch.dispatch}"
    refresh_run(session, run)
    session.commit()

    queued = []
    for batch in batches:
        try:
            instance.jobs.enqueue(BATCH_JOB, batch.id, batch.dispatch, job_id=batch.job_id)
            queued.append(batch.id)
        except Exception:
            # The batch goes back to pending, so the next dispatch or a recovery queues it.
            logger.exception("inventory batch %s: enqueueing its job failed; it stays pending", batch.id)
            session.execute(update(InventoryBatch).where(InventoryBatch.id == batch.id, InventoryBatch.dispatch == batch.dispatch).values(status="pending"))
            session.commit()
    return queued


def finish_run(instance: Any, run_id: int) -> str:
    """Give a run whose batches are all done its final status, after OPTIMIZE when asked; return the status."""
    session = instance.db.session
    run = lock_run(session, run_id)
    if run is None:
        return "missing"
    refresh_run(session, run)
    prepared = run.status not in ("pending", "preparing")
    status = final_status(run) if prepared and run.finished_at is None else None
    if status is None:
        session.commit()
        return run.status
    # Claim the end of the run in this locked transaction, so OPTIMIZE runs once.
    run.finished_at = datetime.now(timezone.utc)
    optimize = status == "completed" and run.optimize_after
    if not optimize:
        run.status = status
    session.commit()

    if optimize:
        store: ClickHouse = instance.clickhouse_admin
        try:
            store.command("OPTIMIZE TABLE raw_events FINAL", query_id=f"inventory-{run.id}-optimize", comment=f"inventory run {run.id}")
            run.status = "completed"
        except ClickHouseError as err:
            run.status, run.error = "failed", f"Rows are stored, but OPTIMIZE failed: {err}"
        session.commit()
    logger.info("inventory run %s: %s, %s objects, %s lines, %s rows, %s rejects, %s skipped", run.id, run.status, run.objects_done, run.lines, run.rows_written, run.rejects, run.skipped)
    return run.status


def job_alive(jobs: Any, job_id: str) -> bool:
    """Return whether an RQ job is waiting, or started by a worker that still sends heartbeats."""
    if not job_id:
        return False
    job = jobs.fetch(job_id)
    if job is None:
        return False
    status = job.get_status(refresh=False)
    if status in ("queued", "deferred", "scheduled"):
        return True
    if status != "started" or not job.worker_name:
        return False
    # A worker's key expires soon after its last heartbeat, so a killed worker has none.
    return bool(jobs.connection.exists(f"rq:worker:{job.worker_name}"))
