"""/admin/clickhouse: health checks as HTMX partials, and migrations behind a confirmation."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app
from flask_login import current_user, login_required

from olap.core import audit
from olap.core.errors import OlapError, PermissionDenied
from olap.core.migrations import Migrator
from olap.core.permissions import require
from olap.core.web import render
from olap.plugins.clickhouse_health.checks import CHECKS, checked_at, run_check

logger = logging.getLogger(__name__)

bp = Blueprint("clickhouse_health", __name__, url_prefix="/admin/clickhouse", template_folder="templates")


def instance():
    return current_app.extensions["olap"]


@bp.before_request
@login_required
def check_access():
    require(instance().db.session, "admin")
    if not instance().flags.enabled("clickhouse-olap", user=current_user):
        raise PermissionDenied("The ClickHouse console is switched off (flag clickhouse-olap); enable the flag to use it.")


@bp.route("/")
def console():
    return render("clickhouse_health/console.html", checks=list(CHECKS))


@bp.route("/check/<name>")
def check(name: str):
    if name not in CHECKS:
        abort(404)
    return render("clickhouse_health/check.html", result=run_check(name, instance().clickhouse_admin), checked_at=checked_at())


def _migrator() -> Migrator:
    config = instance().config
    return Migrator(config.clickhouse_admin, cluster=config["CLICKHOUSE_CLUSTER"])


@bp.route("/migrations")
def migrations():
    migrator = _migrator()
    try:
        statuses = migrator.status()
        error = ""
    except OlapError as err:
        statuses, error = [], str(err)
    finally:
        migrator.close()
    return render("clickhouse_health/migrations.html", statuses=statuses, error=error)


@bp.route("/migrations/up", methods=["POST"])
def migrate_up():
    migrator = _migrator()
    session = instance().db.session
    try:
        applied = migrator.up()
        audit.record(session, "clickhouse.migrate_up", "succeeded", target=instance().config.clickhouse_admin.describe(), detail={"applied": [m.version for m in applied]})
        statuses, error = migrator.status(), ""
    except OlapError as err:
        logger.warning("clickhouse migrate up by user %s failed: %s", current_user.id, err)
        audit.record(session, "clickhouse.migrate_up", "failed", detail={"error": str(err)[:500]})
        statuses, error = [], str(err)
    finally:
        migrator.close()
        session.commit()
    return render("clickhouse_health/migrations.html", statuses=statuses, error=error)
