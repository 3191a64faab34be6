"""Scheduling and controlling S3 backfill runs: plan, schedule, cancel, retry, delete."""

from __future__ import annotations

import logging
from typing import Any

from olap.core import audit
from olap.core.errors import Conflict, NotFound
from olap.core.models import BackfillRun
from olap.core.s3 import s3_client
from olap.plugins.backfill_s3.planning import Plan, make_plan
from olap.plugins.backfill_s3.running import TERMINAL, check_settings  # noqa: F401 - check_settings is part of this API

logger = logging.getLogger(__name__)

JOB_NAME = "backfill_s3.run"
SOURCE = "s3"


def plan_pattern(pattern: str) -> Plan:
    """List what a pattern matches, without writing anything."""
    return make_plan(s3_client(), pattern)


def plan_summary(plan: Plan) -> dict[str, Any]:
    span = plan.date_span
    return {
        "url": plan.url,
        "files": len(plan.files),
        "bytes": plan.bytes_total,
        "gzip_files": sum(1 for planned in plan.files if planned.compression == "gzip"),
        "misnamed_files": [planned.key for planned in plan.mismatched],
        "skipped_empty": plan.skipped_empty,
        "first_day": span[0] if span else None,
        "last_day": span[1] if span else None,
    }


def schedule(instance, pattern: str, settings: Any, optimize_after: bool, actor: Any) -> BackfillRun:
    """Plan a run, store it and enqueue its job in one step; nothing is stored if enqueueing fails."""
    checked = check_settings(settings)
    plan = plan_pattern(pattern)
    session = instance.db.session
    run = BackfillRun(
        source=SOURCE,
        pattern=plan.url,
        status="pending",
        optimize_after=optimize_after,
        clickhouse_settings=checked,
        plan=plan.as_dict(),
        created_by=getattr(actor, "email", None) or str(actor),
        files=len(plan.files),
        bytes_total=plan.bytes_total,
    )
    session.add(run)
    audit.record(session, "backfill.schedule", "succeeded", target="backfill run", detail={"pattern": plan.url, "files": len(plan.files)}, **_actor(actor))
    session.commit()
    # The run is committed before its job is enqueued, so a worker never reads a state
    # older than the one this request wrote; if enqueueing fails, the run is removed again,
    # so a run exists exactly when its job does.
    try:
        instance.jobs.enqueue(JOB_NAME, run.id, job_id=f"backfill-s3-{run.id}-{run.attempts}")
    except Exception:
        logger.exception("backfill run %s: enqueueing its job failed; removing the run", run.id)
        session.delete(run)
        session.commit()
        raise
    logger.info("backfill run %s: scheduled by %s for %s", run.id, run.created_by, plan.url)
    return run


def _actor(actor: Any) -> dict[str, Any]:
    if hasattr(actor, "email"):
        return {"user": actor}
    return {"actor": str(actor)}


def get_run(session, run_id: int) -> BackfillRun:
    run = session.get(BackfillRun, run_id)
    if run is None or run.source != SOURCE:
        raise NotFound(f"Backfill run {run_id} does not exist.")
    return run


def cancel(instance, run_id: int, actor: Any) -> BackfillRun:
    """Ask a pending or running run to stop, killing its ClickHouse statement."""
    session = instance.db.session
    run = get_run(session, run_id)
    if run.status in TERMINAL:
        raise Conflict(f"Backfill run {run.id} is already {run.status}; only pending or running runs can be cancelled.")
    run.cancel_requested = True
    if run.status == "pending":
        run.status = "cancelled"
        run.error = "Cancelled before it started."
    session.commit()
    killed = instance.clickhouse_admin.kill(run.query_id) if run.query_id else False
    audit.record(session, "backfill.cancel", "succeeded", target=f"backfill run {run.id}", detail={"killed_query": killed}, **_actor(actor))
    session.commit()
    return run


def retry(instance, run_id: int, actor: Any) -> BackfillRun:
    """Run a failed, cancelled or completed run again; what it stored before is not counted twice."""
    session = instance.db.session
    run = get_run(session, run_id)
    if run.status not in TERMINAL and job_alive(instance, run):
        raise Conflict(f"Backfill run {run.id} is {run.status}; wait for it to finish or cancel it first.")
    previous = run.status
    run.status, run.error, run.cancel_requested = "pending", "", False
    run.attempts += 1
    audit.record(session, "backfill.retry", "succeeded", target=f"backfill run {run.id}", **_actor(actor))
    session.commit()
    try:
        instance.jobs.enqueue(JOB_NAME, run.id, job_id=f"backfill-s3-{run.id}-{run.attempts}")
    except Exception:
        logger.exception("backfill run %s: enqueueing the retry failed", run.id)
        run.status, run.error = previous, "The retry could not be queued; try again."
        session.commit()
        raise
    return run


def job_alive(instance, run: BackfillRun) -> bool:
    """Return whether the run's current job is queued or running.

    A run left pending or running by a worker that died (a restarted embedded server
    loses its in-process queue) has no live job; retrying it is then safe.
    """
    job = instance.jobs.fetch(f"backfill-s3-{run.id}-{run.attempts}")
    return job is not None and job.get_status(refresh=True) in ("queued", "started", "deferred", "scheduled")


def delete(instance, run_id: int, actor: Any) -> None:
    """Delete the record of a finished run (the rows it stored stay)."""
    session = instance.db.session
    run = get_run(session, run_id)
    if run.status not in TERMINAL:
        raise Conflict(f"Backfill run {run.id} is {run.status}; only completed, failed or cancelled runs can be deleted.")
    session.delete(run)
    audit.record(session, "backfill.delete", "succeeded", target=f"backfill run {run_id}", **_actor(actor))
    session.commit()
