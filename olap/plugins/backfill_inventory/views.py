"""Admin console of inventory backfills: dry run, schedule, watch runs and batches, stream chunk logs."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import current_user, login_required
from htmx_flask import make_response as htmx_response
from sqlalchemy import select

from olap.core import audit
from olap.core.errors import PermissionDenied, UserInputError
from olap.core.permissions import require
from olap.core.web import render, wants_fragment
from olap.plugins.backfill_inventory import service
from olap.plugins.backfill_inventory.models import RUN_STATUSES, TERMINAL, ChunkLog, InventoryRun
from olap.plugins.backfill_inventory.progress import RECOVER_JOB

logger = logging.getLogger(__name__)

bp = Blueprint("backfill_inventory", __name__, url_prefix="/admin/backfills/inventory", template_folder="templates")
FLAG = "clickhouse-olap-bulk-ingest"
FIRST_PAGE = 100
OLDER_PAGE = 200


def instance():
    return current_app.extensions["olap"]


@bp.before_request
@login_required
def check_access():
    require(instance().db.session, "admin")
    if not instance().flags.enabled(FLAG, user=current_user):
        raise PermissionDenied(f"Backfills are switched off (flag {FLAG}); enable the flag to use this console.")


def _form() -> dict[str, str]:
    names = ("manifest_url", "bucket", "prefix", "when", "date_from", "date_to", "date_basis", "chunk_size", "concurrency", "retries")
    values = {name: request.form.get(name, "").strip() for name in names}
    values["optimize_after"] = "on" if request.form.get("optimize_after") == "on" else ""
    return values


def _options(form: dict[str, str]) -> service.RunOptions:
    return service.make_options(form["date_from"], form["date_to"], form["date_basis"] or "key", form["chunk_size"] or 25, form["concurrency"] or 1, form["retries"] or 1, form["optimize_after"] == "on")


@bp.route("/")
def console():
    status = request.args.get("status", "")
    query = select(InventoryRun).order_by(InventoryRun.id.desc()).limit(200)
    if status in RUN_STATUSES:
        query = query.where(InventoryRun.status == status)
    runs = instance().db.session.scalars(query).all()
    template = "backfill_inventory/runs.html" if wants_fragment() and request.args.get("list") else "backfill_inventory/console.html"
    return render(template, runs=runs, status_filter=status, statuses=RUN_STATUSES)


@bp.route("/plan", methods=["POST"])
def plan():
    form = _form()
    try:
        manifest_url = service.locate(form["manifest_url"], form["bucket"], form["prefix"], form["when"])
        summary = service.dry_run(manifest_url, _options(form))
    except UserInputError as err:
        return render("backfill_inventory/plan.html", error=str(err), form=form)
    return render("backfill_inventory/plan.html", summary=summary, form={**form, "manifest_url": manifest_url})


@bp.route("/", methods=["POST"])
def schedule():
    form = _form()
    try:
        manifest_url = service.locate(form["manifest_url"], form["bucket"], form["prefix"], form["when"])
        run = service.schedule(instance(), manifest_url, _options(form), current_user)
    except UserInputError as err:
        if wants_fragment():
            return render("backfill_inventory/plan.html", error=str(err), form=form)
        raise
    return _go(url_for("backfill_inventory.run_page", run_id=run.id))


@bp.route("/recover", methods=["POST"])
def recover():
    instance().jobs.enqueue(RECOVER_JOB, job_id="inventory-recover")
    audit.record(instance().db.session, "inventory.recover", "succeeded", target="inventory runs")
    instance().db.session.commit()
    return _go(url_for("backfill_inventory.console"))


@bp.route("/<int:run_id>")
def run_page(run_id: int):
    run = service.get_run(instance().db.session, run_id)
    return render("backfill_inventory/run.html", run=run, limits=service.LIMITS)


@bp.route("/<int:run_id>/status")
def run_status(run_id: int):
    run = service.get_run(instance().db.session, run_id)
    response = render("backfill_inventory/run_status.html", run=run, limits=service.LIMITS)
    if run.status in TERMINAL and run.finished_at is not None:
        # HTMX stops polling when the response status is 286.
        response.status_code = 286
    return response


@bp.route("/<int:run_id>/pause", methods=["POST"])
def pause(run_id: int):
    service.pause(instance(), run_id, current_user)
    return _go(url_for("backfill_inventory.run_page", run_id=run_id))


@bp.route("/<int:run_id>/resume", methods=["POST"])
def resume(run_id: int):
    service.resume(instance(), run_id, current_user)
    return _go(url_for("backfill_inventory.run_page", run_id=run_id))


@bp.route("/<int:run_id>/cancel", methods=["POST"])
def cancel(run_id: int):
    service.cancel(instance(), run_id, current_user)
    return _go(url_for("backfill_inventory.run_page", run_id=run_id))


@bp.route("/<int:run_id>/settings", methods=["POST"])
def settings(run_id: int):
    form = request.form
    service.update_settings(instance(), run_id, form.get("chunk_size", ""), form.get("concurrency", ""), form.get("retries", ""), current_user)
    return _go(url_for("backfill_inventory.run_page", run_id=run_id))


@bp.route("/<int:run_id>/delete", methods=["POST"])
def delete(run_id: int):
    service.delete(instance(), run_id, current_user)
    return _go(url_for("backfill_inventory.console"))


@bp.route("/<int:run_id>/batches/<int:batch_id>")
def batch_page(run_id: int, batch_id: int):
    session = instance().db.session
    batch = service.get_batch(session, run_id, batch_id)
    logs = session.scalars(select(ChunkLog).where(ChunkLog.batch_id == batch.id).order_by(ChunkLog.id.desc()).limit(FIRST_PAGE)).all()
    return render("backfill_inventory/batch.html", batch=batch, run=batch.run, logs=logs, newest=logs[0].id if logs else 0, oldest=logs[-1].id if logs else 0, more=len(logs) == FIRST_PAGE)


@bp.route("/<int:run_id>/batches/<int:batch_id>/status")
def batch_status(run_id: int, batch_id: int):
    batch = service.get_batch(instance().db.session, run_id, batch_id)
    response = render("backfill_inventory/batch_status.html", batch=batch, run=batch.run)
    if batch.status in TERMINAL:
        response.status_code = 286
    return response


@bp.route("/<int:run_id>/batches/<int:batch_id>/chunks")
def chunk_logs(run_id: int, batch_id: int):
    """Return chunk logs newer than `after` (the live stream) or older than `before` (one page), newest first."""
    session = instance().db.session
    batch = service.get_batch(session, run_id, batch_id)
    query = select(ChunkLog).where(ChunkLog.batch_id == batch.id)
    if "before" in request.args:
        before = request.args.get("before", type=int) or 0
        logs = session.scalars(query.where(ChunkLog.id < before).order_by(ChunkLog.id.desc()).limit(OLDER_PAGE)).all()
        return render("backfill_inventory/chunks_older.html", run=batch.run, batch=batch, logs=logs, oldest=logs[-1].id if logs else before, more=len(logs) == OLDER_PAGE)
    after = request.args.get("after", type=int) or 0
    # The oldest new logs come first, so a burst bigger than one page arrives over several polls without a gap.
    logs = list(reversed(session.scalars(query.where(ChunkLog.id > after).order_by(ChunkLog.id).limit(OLDER_PAGE)).all()))
    return render("backfill_inventory/chunks_live.html", run=batch.run, batch=batch, logs=logs, newest=logs[0].id if logs else after)


@bp.route("/<int:run_id>/batches/<int:batch_id>/retry", methods=["POST"])
def retry_batch(run_id: int, batch_id: int):
    service.retry_batch(instance(), run_id, batch_id, current_user)
    return _go(url_for("backfill_inventory.batch_page", run_id=run_id, batch_id=batch_id))


def _go(target: str):
    return htmx_response("", redirect=target) if wants_fragment() else redirect(target)
