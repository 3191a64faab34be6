"""Core pages: home, health check and the admin list of loaded plugins."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from flask_login import current_user, login_required
from sqlalchemy import select

from olap.core.errors import OlapError
from olap.core.models import Project, Section
from olap.core.permissions import project_ids_of, require, section_ids_of
from olap.core.web import render

logger = logging.getLogger(__name__)

bp = Blueprint("core", __name__)


def instance():
    return current_app.extensions["olap"]


@bp.route("/")
@login_required
def index():
    session = instance().db.session
    if current_user.is_admin:
        sections = session.scalars(select(Section).order_by(Section.id)).all()
        projects = session.scalars(select(Project).order_by(Project.id)).all()
    else:
        section_ids = section_ids_of(session, current_user)
        project_ids = project_ids_of(session, current_user)
        sections = session.scalars(select(Section).where(Section.id.in_(section_ids)).order_by(Section.id)).all() if section_ids else []
        projects = session.scalars(select(Project).where(Project.id.in_(project_ids)).order_by(Project.id)).all() if project_ids else []
    return render("index.html", sections=sections, projects=projects)


@bp.route("/healthz")
def healthz():
    """Report whether the metadata DB and ClickHouse answer; 503 when one does not."""
    checks = {}
    healthy = True
    try:
        instance().db.check_reachable()
        checks["metadata_db"] = "ok"
    except OlapError as err:
        checks["metadata_db"] = str(err)
        healthy = False
    try:
        checks["clickhouse"] = f"ok (version {instance().clickhouse_admin.ping()})"
    except OlapError as err:
        checks["clickhouse"] = str(err)
        healthy = False
    if not healthy:
        logger.warning("healthz: failing checks %s", checks)
    return jsonify({"status": "ok" if healthy else "failing", "checks": checks}), 200 if healthy else 503


@bp.route("/admin/plugins")
@login_required
def plugins():
    require(instance().db.session, "admin")
    registry = instance().registry
    rows = []
    for name, plugin in sorted(instance().plugin_manager.list_name_plugin()):
        owned = {kind: sorted(key for (k, key), owner in registry.owners.items() if owner == name and k == kind) for kind in ("categories", "queries", "flags", "jobs", "blueprints", "backfill_sources", "menu_items")}
        rows.append({"name": name, "module": getattr(plugin, "__name__", repr(plugin)), "owned": owned})
    return render("plugins.html", plugins=rows)
