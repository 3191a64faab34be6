"""Admin console of S3 backfills: plan, schedule, watch, cancel, retry and delete runs."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import current_user, login_required
from htmx_flask import make_response as htmx_response
from sqlalchemy import select

from olap.core.errors import PermissionDenied, UserInputError
from olap.core.models import BackfillRun
from olap.core.permissions import require
from olap.core.web import render, wants_fragment
from olap.plugins.backfill_s3 import service
from olap.plugins.backfill_s3.running import ALLOWED_SETTINGS, progress

logger = logging.getLogger(__name__)

bp = Blueprint("backfill_s3", __name__, url_prefix="/admin/backfills/s3", template_folder="templates")
STATUSES = ("pending", "running", "optimizing", "completed", "failed", "cancelled")
FLAG = "clickhouse-olap-bulk-ingest"


def instance():
    return current_app.extensions["olap"]


@bp.before_request
@login_required
def check_access():
    require(instance().db.session, "admin")
    if not instance().flags.enabled(FLAG, user=current_user):
        raise PermissionDenied(f"Backfills are switched off (flag {FLAG}); enable the flag to use this console.")


def _form_values() -> tuple[str, object, bool]:
    pattern = request.form.get("pattern", "").strip()
    raw_settings = request.form.get("settings", "").strip()
    try:
        settings = json.loads(raw_settings) if raw_settings else {}
    except json.JSONDecodeError as err:
        raise UserInputError(f"The ClickHouse settings are not valid JSON: {err.msg} at column {err.colno}.") from None
    return pattern, settings, request.form.get("optimize_after") == "on"


@bp.route("/")
def console():
    status = request.args.get("status", "")
    query = select(BackfillRun).where(BackfillRun.source == service.SOURCE).order_by(BackfillRun.id.desc()).limit(200)
    if status in STATUSES:
        query = query.where(BackfillRun.status == status)
    runs = instance().db.session.scalars(query).all()
    template = "backfill_s3/runs.html" if wants_fragment() and request.args.get("list") else "backfill_s3/console.html"
    return render(template, runs=runs, status_filter=status, statuses=STATUSES, allowed_settings=sorted(ALLOWED_SETTINGS))


@bp.route("/plan", methods=["POST"])
def plan():
    pattern, settings, optimize_after = _form_values()
    try:
        service.check_settings(settings)
        summary = service.plan_summary(service.plan_pattern(pattern))
    except UserInputError as err:
        return render("backfill_s3/plan.html", error=str(err), pattern=pattern), 200
    return render("backfill_s3/plan.html", summary=summary, pattern=pattern, settings=json.dumps(settings) if settings else "", optimize_after=optimize_after)


@bp.route("/", methods=["POST"])
def schedule():
    pattern, settings, optimize_after = _form_values()
    try:
        run = service.schedule(instance(), pattern, settings, optimize_after, current_user)
    except UserInputError as err:
        if wants_fragment():
            return render("backfill_s3/plan.html", error=str(err), pattern=pattern)
        raise
    target = url_for("backfill_s3.run_page", run_id=run.id)
    if wants_fragment():
        return htmx_response("", redirect=target)
    return redirect(target)


@bp.route("/<int:run_id>")
def run_page(run_id: int):
    run = service.get_run(instance().db.session, run_id)
    return render("backfill_s3/run.html", run=run, live=progress(instance().clickhouse_admin, run))


@bp.route("/<int:run_id>/status")
def run_status(run_id: int):
    run = service.get_run(instance().db.session, run_id)
    response = render("backfill_s3/status.html", run=run, live=progress(instance().clickhouse_admin, run))
    if run.status in ("completed", "failed", "cancelled"):
        # HTMX stops polling when the answer is 286.
        response.status_code = 286
    return response


@bp.route("/<int:run_id>/cancel", methods=["POST"])
def cancel(run_id: int):
    service.cancel(instance(), run_id, current_user)
    return _back_to_run(run_id)


@bp.route("/<int:run_id>/retry", methods=["POST"])
def retry(run_id: int):
    service.retry(instance(), run_id, current_user)
    return _back_to_run(run_id)


@bp.route("/<int:run_id>/delete", methods=["POST"])
def delete(run_id: int):
    service.delete(instance(), run_id, current_user)
    target = url_for("backfill_s3.console")
    return htmx_response("", redirect=target) if wants_fragment() else redirect(target)


def _back_to_run(run_id: int):
    target = url_for("backfill_s3.run_page", run_id=run_id)
    return htmx_response("", redirect=target) if wants_fragment() else redirect(target)
